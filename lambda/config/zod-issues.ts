/** Formatting of zod validation issues, shared by every schema's error messages. Pure. */
import type * as z from 'zod';

/** One line per zod issue, each naming the field: `allowlists[0].targets[1].groupIds[0]: …`. */
export function zodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issuePath(issue.path) || '(root)'}: ${issue.message}`);
}

/**
 * A field's path as the messages print it: `environments[1].allowlists.partners.securityGroups`. A key that is not a
 * plain name (a typo with a space, a dot) is quoted, `allowlists["a b"]`, so the path stays unambiguous.
 */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      const key = String(p);
      return /^[A-Za-z0-9_-]+$/.test(key) ? `${i === 0 ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
    })
    .join('');
}
