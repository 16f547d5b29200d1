/**
 * The cfn-lint warnings accepted in this project's templates, each with its reason: the one list
 * test/infra/cfn-lint.test.ts compares findings with (docs/template-lint.md shows it). An unlisted warning fails the
 * test, and so does an entry here that no template produces any more.
 */

/** One accepted warning: its rule, where (a pattern over the finding's template path), and why it is accepted. */
export interface AcceptedWarning {
  readonly rule: string;
  /** Matched against the finding's path, e.g. `Resources/AllowlistSyncFunctionF5022C41/DependsOn/1`. */
  readonly path: RegExp;
  /** Matched against the finding's message. */
  readonly message: RegExp;
  readonly reason: string;
}

/** Every accepted warning. */
export const ACCEPTED_WARNINGS: readonly AcceptedWarning[] = [
  {
    rule: 'W3005',
    path: /^Resources\/AllowlistSyncFunction[0-9A-F]{8}\/DependsOn\/\d+$/,
    message: /^'AllowlistSyncRole[0-9A-F]{8}' dependency already enforced by a 'GetAtt'/,
    reason:
      "CDK's Function lists its role in DependsOn (with the role's policy, which the GetAtt does not imply) although the Role GetAtt already orders it; CloudFormation accepts the redundant dependency",
  },
  {
    rule: 'W3005',
    path: /^Resources\/AllowlistSyncPostDeployRun(CustomResourcePolicy)?[0-9A-F]{8}\/DependsOn\/\d+$/,
    message: /^'AllowlistSyncFunction[0-9A-F]{8}' dependency already enforced by a '(Ref|GetAtt)'/,
    reason:
      "The post-deploy run depends on the function construct on purpose, so it waits for the function's EventInvokeConfig (retries, DLQ) as well; CDK expands that to every resource of the construct, the function itself included, which its Ref already orders",
  },
  {
    rule: 'W3005',
    path: /^Resources\/AWS679f53fac002430cb0da5b7982bd2287[0-9A-F]{8}\/DependsOn\/\d+$/,
    message: /^'AWS679f53fac002430cb0da5b7982bd2287ServiceRole[0-9A-F]{8}' dependency already enforced by a 'GetAtt'/,
    reason:
      "The CDK custom-resource provider (AwsCustomResource's singleton function, CDK's code, not ours) lists its role in DependsOn as well as in a GetAtt; CloudFormation accepts the redundant dependency",
  },
];
