/**
 * The floors of the code run one way (docs/design.md §2): the CLI and the CDK app above the function, the function
 * above the engine, the engine above sources and targets, those above the config schema, and the core imports nothing
 * of the project but itself. A new import that points up a floor, or a cycle between files, fails here with the
 * file and the import named.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { fileCycles, LAYERS, layerOf, ROOT, readImportGraph } from './import-graph';

const graph = readImportGraph();

describe('the import structure', () => {
  it('reads every module of every floor', () => {
    for (const layer of LAYERS) {
      expect(
        graph.some((m) => layerOf(m.file)?.name === layer.name),
        layer.name,
      ).toBe(true);
    }
  });

  it('imports point only down a floor or within one', () => {
    const upward: string[] = [];
    for (const m of graph) {
      const from = layerOf(m.file)!;
      for (const i of m.imports) {
        const to = layerOf(i);
        if (to === undefined) {
          upward.push(`${m.file} imports ${i}, which is outside the product's floors (a test or bench file)`);
        } else if (to.name !== from.name && to.rank >= from.rank) {
          upward.push(`${m.file} (${from.name}) imports ${i} (${to.name})`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('the core imports nothing of the project but itself, and of npm only zod', () => {
    const outside: string[] = [];
    for (const m of graph.filter((g) => layerOf(g.file)?.name === 'core')) {
      for (const i of m.imports) if (!i.startsWith('lambda/core/')) outside.push(`${m.file} imports ${i}`);
      const info = ts.preProcessFile(readFileSync(path.join(ROOT, m.file), 'utf8'), true, true);
      for (const { fileName } of info.importedFiles) {
        if (!fileName.startsWith('.') && fileName !== 'zod' && !fileName.startsWith('node:')) {
          outside.push(`${m.file} imports package ${fileName}`);
        }
      }
    }
    expect(outside).toEqual([]);
  });

  it('the CDK app reads only the pure floors of the runtime (config and core), so synth loads no AWS client', () => {
    const reached = graph
      .filter((m) => layerOf(m.file)?.name === 'cdk')
      .flatMap((m) => m.imports.filter((i) => i.startsWith('lambda/')).map((i) => `${m.file} imports ${i}`))
      .filter((line) => !/imports lambda\/(config|core)\//.test(line));
    expect(reached).toEqual([]);
  });

  it('the runtime never imports the CDK', () => {
    const cdk = graph
      .filter((m) => m.file.startsWith('lambda/'))
      .filter((m) => /from '(aws-cdk-lib|constructs)/.test(readFileSync(path.join(ROOT, m.file), 'utf8')))
      .map((m) => m.file);
    expect(cdk).toEqual([]);
  });

  it('no two files import each other, directly or round a loop', () => {
    expect(fileCycles(graph)).toEqual([]);
  });

  it('the cycle finder finds a planted cycle', () => {
    const planted = [
      { file: 'lambda/core/a.ts', imports: ['lambda/core/b.ts'] },
      { file: 'lambda/core/b.ts', imports: ['lambda/core/c.ts'] },
      { file: 'lambda/core/c.ts', imports: ['lambda/core/a.ts'] },
      { file: 'lambda/core/d.ts', imports: ['lambda/core/a.ts'] },
    ];
    expect(fileCycles(planted)).toEqual([['lambda/core/a.ts', 'lambda/core/b.ts', 'lambda/core/c.ts']]);
  });
});
