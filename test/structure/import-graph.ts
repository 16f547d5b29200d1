/**
 * The project's import graph, read with TypeScript's own pre-processor (static, dynamic and type-only imports and
 * re-exports alike: a type import is a dependency of the reader too). The layers test checks its direction; run
 * alone (`npx tsx test/structure/import-graph.ts`) it prints the floor-to-floor edges and any cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The repository's root. */
export const ROOT = path.resolve(__dirname, '../..');

/** The floors, lowest first: a file may import its own floor's files and those of lower floors, nothing above. */
export const LAYERS = [
  { name: 'core', dirs: ['lambda/core'], rank: 0 },
  { name: 'config', dirs: ['lambda/config'], rank: 1 },
  { name: 'sources', dirs: ['lambda/sources'], rank: 2 },
  { name: 'targets', dirs: ['lambda/targets'], rank: 2 },
  { name: 'engine', dirs: ['lambda/engine'], rank: 3 },
  { name: 'function', dirs: ['lambda/function'], rank: 4 },
  { name: 'cdk', dirs: ['lib'], rank: 5 },
  { name: 'cli', dirs: ['bin'], rank: 6 },
] as const;

/** One floor's name. */
export type LayerName = (typeof LAYERS)[number]['name'];

/** A module of the project (path relative to the root, with its extension). */
export interface ModuleImports {
  readonly file: string;
  /** The project files it imports, relative to the root. */
  readonly imports: readonly string[];
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) walk(rel, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
}

/** Resolves a relative specifier as Node's CommonJS resolution would, to a `.ts` file of the project. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}/index.ts`]) {
    try {
      if (statSync(path.join(ROOT, candidate)).isFile()) return candidate;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

/** Every module under the layers' folders with the project files it imports. Throws on an unresolved import. */
export function readImportGraph(): ModuleImports[] {
  const files: string[] = [];
  for (const layer of LAYERS) for (const dir of layer.dirs) walk(dir, files);
  return files.sort().map((file) => {
    const info = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
    const imports = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveSpecifier(file, fileName);
      if (target === undefined) throw new Error(`${file}: cannot resolve import "${fileName}"`);
      imports.add(target);
    }
    return { file, imports: [...imports].sort() };
  });
}

/** The floor a file belongs to, or undefined outside them (tests, bench, examples). */
export function layerOf(file: string): (typeof LAYERS)[number] | undefined {
  return LAYERS.find((l) => l.dirs.some((d) => file.startsWith(`${d}/`)));
}

/** Layer-to-layer edges with how many imports each, e.g. `engine → core: 40`. */
export function layerEdges(graph: readonly ModuleImports[]): Map<string, number> {
  const edges = new Map<string, number>();
  for (const m of graph) {
    const from = layerOf(m.file)?.name;
    for (const i of m.imports) {
      const to = layerOf(i)?.name ?? 'other';
      if (from === to) continue;
      const key = `${from} → ${to}`;
      edges.set(key, (edges.get(key) ?? 0) + 1);
    }
  }
  return new Map([...edges].sort(([a], [b]) => a.localeCompare(b)));
}

/** The import cycles between files (strongly connected components of more than one file, or a self-import). */
export function fileCycles(graph: readonly ModuleImports[]): string[][] {
  const adjacency = new Map(graph.map((m) => [m.file, m.imports]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of adjacency.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (adjacency.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const file of adjacency.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

if (require.main === module) {
  const graph = readImportGraph();
  console.log(`${graph.length} modules, ${graph.reduce((n, m) => n + m.imports.length, 0)} imports`);
  for (const [edge, n] of layerEdges(graph)) console.log(`  ${edge}: ${n}`);
  for (const cycle of fileCycles(graph)) console.log(`  cycle: ${cycle.join(' ↔ ')}`);
}
