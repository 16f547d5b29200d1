/** English counts for messages: `1 policy violation`, `2 policy violations`, `1 malformed entry`. Pure. */

/** `count` and the noun in the number it needs, with thousands separators: `1 entry`, `1,024 entries`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}
