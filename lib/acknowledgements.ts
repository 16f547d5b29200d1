/**
 * cdk-nag findings this construct acknowledges, each with the reason it is true. Acknowledgements use the core
 * `Validations.of(scope).acknowledge` API (cdk-nag 3, docs/aws-behaviour.md §7), so a team that runs cdk-nag on its own
 * stack sees none of them, and this construct needs no dependency on cdk-nag.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** How cdk-nag names a resource in a finding id: tokens become `<LogicalId.Attr>` / `<Ref>`. */
export function nagResource(scope: IConstruct, value: string): string {
  return render(Stack.of(scope).resolve(value));
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Ref' in record) return `<${String(record.Ref)}>`;
    if ('Fn::GetAtt' in record) return `<${(record['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

/** Acknowledges one AwsSolutions finding on `scope` with its true reason. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}
