/** Formatting of zod validation issues, shared by every schema's error messages. Pure. */
import type * as z from 'zod';

/** One line per zod issue, each naming the field: `allowlists[0].targets[1].groupIds[0]: …`. */
export function zodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
      .join('');
    return `${path || '(root)'}: ${issue.message}`;
  });
}
