/**
 * `AllowlistSync`: the reusable construct. It provisions an allowlist's filters, the sync function with its
 * least-privilege role, its triggers (schedule, S3 object created, a run after every deploy), alarms and a dashboard.
 * Put it in any stack; `AllowlistSyncStack` is the standalone app's stack around it.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type * as z from 'zod';
import {
  CONFIG_ALLOWLISTS_ENV,
  CONFIG_PATH_ENV,
  configAllowlistsParameterName,
  configParameterName,
  configParameterPath,
} from '../lambda/config/parameters';
import { ChangeDetailType } from '../lambda/core/change-event';
import { ConfigError } from '../lambda/core/errors';
import { acknowledge, nagResource } from './acknowledgements';
import { bundleFunctionOnce, FUNCTION_BUNDLING, FUNCTION_ENTRY } from './bundling-options';
import { archiveDaysIssue, changeEventArchive, changeEventRule } from './change-events';
import { CredentialBinding } from './credential-binding';
import { type CredentialBindingConfig, CredentialBindingSchema, credentialIssues } from './credential-config';
import { type DeployAllowlist, DeployAllowlistSchema } from './deployment-config';
import { AllowlistFilterSet, type AllowlistFilters } from './filters';
import { METRICS_NAMESPACE, SERVICE_NAME, SyncOperations } from './operations';
import { configReadStatement, signatureObject, syncStatements } from './permissions';
import { checkRuntimeConfig, deriveRuntimeConfig } from './runtime-config';

/**
 * The function's timeout. The engine bounds every fetch, retry and run below it (docs/design.md P9); the lead will set
 * it from the benchmark figures.
 */
export const FUNCTION_TIMEOUT = Duration.minutes(5);
/**
 * The function's memory (MB), chosen from the large-run bench (docs/performance-large-run.md): 100,000 entries on 25
 * allowlists peak at 250 MB of RSS before apply (fakes included), four times below this; and since the set algebra is
 * linear the run's own CPU is about 2.5 s (planning a 1 % change: 1.2 s), while it waits at least a second per WAF
 * write (docs/aws-behaviour.md §23; 36 writes there) and on every AWS call. Lambda bills that wait per GB-second and
 * gives CPU in proportion to memory (§38), so 1769 MB (one vCPU) would save about 2 s of a 40 s run at 1.7 times the
 * cost. Raise it with `memorySize` for far larger lists.
 */
export const FUNCTION_MEMORY_MB = 1024;
/**
 * Retries of a failed trigger delivery (Scheduler, EventBridge) and of a failed async run (docs/aws-behaviour.md §29).
 */
export const TRIGGER_RETRY_ATTEMPTS = 2;
/** An undelivered trigger older than this is dropped to the DLQ: the next scheduled run supersedes it. */
export const TRIGGER_MAX_EVENT_AGE = Duration.hours(1);
/** The schedule's payload; lambda/function/events.ts `SchedulePayloadSchema` accepts exactly this. */
export const SCHEDULE_PAYLOAD = { trigger: 'schedule' } as const;
/** The post-deploy run's payload; lambda/function/events.ts `DeployPayloadSchema` accepts exactly this. */
export const DEPLOY_PAYLOAD = { trigger: 'deploy' } as const;

/**
 * The prebuilt function in the npm package: `dist/function/index.js`, beside this file's compiled `dist/lib/`. Only
 * the package has it. Run from this repository's TypeScript, the construct bundles `lambda/function/handler.ts` instead, so a
 * synth here never deploys a stale build.
 */
const PREBUILT_FUNCTION_DIR = path.join(__dirname, '..', 'function');

/** One allowlist as the construct takes it: the deployment config's allowlist entry (lib/deployment-config.ts). */
export type AllowlistDefinition = z.input<typeof DeployAllowlistSchema>;

/** Props of {@link AllowlistSync}. */
export interface AllowlistSyncProps {
  /** The allowlists, their sources and policy, and the filters to create or manage for each. */
  readonly allowlists: AllowlistDefinition[];
  /** Minutes between scheduled runs. @default 15 */
  readonly scheduleMinutes?: number;
  /** An e-mail address subscribed to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /** Alarm when a target has fewer free entries than this. @default 10 */
  readonly quotaHeadroomAlarmBelow?: number;
  /** Prefix of the fixed names of IP sets, prefix lists, RAM shares and alarms. @default the stack name */
  readonly namePrefix?: string;
  /**
   * A TypeScript entry file to bundle (with esbuild, through NodejsFunction) instead of the function's own code.
   * @default the package's prebuilt function; from this repository's sources, lambda/function/handler.ts bundled at synth
   */
  readonly entry?: string;
  /** The function's timeout. @default FUNCTION_TIMEOUT (5 minutes) */
  readonly timeout?: Duration;
  /** The function's memory in MB. @default FUNCTION_MEMORY_MB (1024) */
  readonly memorySize?: number;
  /** How long the function's logs are kept. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A value that differs on every deploy, so the post-deploy run runs after each one. Tests pass a fixed value.
   * @default the synth time
   */
  readonly deployRunId?: string;
  /**
   * Keep this construct's change events (`Allowlist Applied`, `Refused`, `Failed`) in an EventBridge archive on the
   * default bus for this many days (1–3650), so the history of changes can be replayed. @default no archive
   */
  readonly changeEventArchiveDays?: number;
  /** Stack-wide options of credential binding (docs/credential-binding.md). @default rule groups only */
  readonly credentialBinding?: z.input<typeof CredentialBindingSchema>;
}

/** Provisions the filters of each allowlist and the function that keeps them equal to it. */
export class AllowlistSync extends Construct {
  /** The sync function. */
  readonly function: lambda.Function;
  /** The filters of each allowlist, in the order given. */
  readonly filters: AllowlistFilters[];
  /** Alarms, topic and dashboard. */
  readonly operations: SyncOperations;
  /** The size (bytes) of the function's environment: the config's SSM path and the allowlist names. */
  readonly environmentBytes: number;
  /** The estimated size (bytes) of each allowlist's config parameter with the longest realistic ids, by name. */
  readonly parameterBytes: Readonly<Record<string, number>>;
  /** The SSM path under which each allowlist's RuntimeConfig entry is written (docs/runtime-config-delivery.md). */
  readonly configPath: string;
  /** The config parameters, one per allowlist, in the order given. */
  readonly configParameters: ssm.StringParameter[];
  /** The archive of the change events, when `changeEventArchiveDays` is set. */
  readonly changeEventArchive?: events.Archive;
  /** The names of this construct's allowlists (the `detail.allowlist` its events carry). */
  readonly allowlistNames: readonly string[];
  /** The credential binding rule groups, when an allowlist binds a credential. */
  readonly credentialBinding?: CredentialBinding;

  constructor(scope: Construct, id: string, props: AllowlistSyncProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { allowlists, binding } = validateAllowlists(props, stack.region);
    this.allowlistNames = allowlists.map((a) => a.name);
    const namePrefix = props.namePrefix ?? stack.stackName;
    const scheduleMinutes = props.scheduleMinutes ?? 15;

    this.filters = allowlists.map(
      (definition, i) => new AllowlistFilterSet(this, `Allowlist${i + 1}`, definition, namePrefix).filters,
    );

    if (allowlists.some((a) => a.wafIpSets?.credential)) {
      this.credentialBinding = new CredentialBinding(this, 'CredentialBinding', { ...binding, filters: this.filters });
    }

    const provisioned = this.filters.map((f) => f.provisioned);
    this.configPath = configParameterPath(namePrefix);
    const environment = {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      [CONFIG_PATH_ENV]: this.configPath,
      [CONFIG_ALLOWLISTS_ENV]: this.allowlistNames.join(','),
    };
    const sizes = checkRuntimeConfig(provisioned, environment);
    this.environmentBytes = sizes.environmentBytes;
    this.parameterBytes = sizes.parameterBytes;
    // One Standard parameter per allowlist, its ids resolved by CloudFormation at deploy: the environment's 4 KB then
    // holds only the path and the names, whatever the number of allowlists (docs/runtime-config-delivery.md).
    this.configParameters = deriveRuntimeConfig(provisioned).allowlists.map(
      (entry, i) =>
        new ssm.StringParameter(this, `Allowlist${i + 1}Config`, {
          parameterName: configParameterName(this.configPath, entry.name),
          stringValue: stack.toJsonString(entry),
          tier: ssm.ParameterTier.STANDARD,
          description: `allowlist-sync: the RuntimeConfig of allowlist ${entry.name}, read by the sync function`,
        }),
    );
    // The names again, for `allowlist-sync plan --stack` (bin/commands/stack-config.ts): an operator reads the same
    // parameters the function reads, and a missing one is an error there too.
    new ssm.StringParameter(this, 'ConfigAllowlists', {
      parameterName: configAllowlistsParameterName(namePrefix),
      stringValue: this.allowlistNames.join(','),
      tier: ssm.ParameterTier.STANDARD,
      description: 'allowlist-sync: the allowlists whose config parameters the sync function expects, in run order',
    });

    const functionDlq = deadLetterQueue(this, 'FunctionDeadLetters');
    const triggerDlq = deadLetterQueue(this, 'TriggerDeadLetters');
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    // An own role, without the AWS-managed basic execution policy: logs go to this one log group only.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'allowlist-sync: reads its sources and writes only its own filters',
    });
    logGroup.grantWrite(role);
    for (const statement of syncStatements(stack, this.filters)) role.addToPolicy(statement);
    role.addToPolicy(configReadStatement(stack, this.configPath));

    const functionProps: FunctionSettings = {
      // Named, not NODEJS_LATEST (docs/aws-behaviour.md §5); nodejs22.x is deprecated from 2027-04-30, so 24 (issue 10).
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? FUNCTION_TIMEOUT,
      memorySize: props.memorySize ?? FUNCTION_MEMORY_MB,
      // One run at a time (docs/design.md P10); a second trigger waits in Lambda's async queue
      // (docs/aws-behaviour.md §30).
      reservedConcurrentExecutions: 1,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      deadLetterQueue: functionDlq,
      retryAttempts: TRIGGER_RETRY_ATTEMPTS,
      maxEventAge: TRIGGER_MAX_EVENT_AGE,
      description: 'allowlist-sync: keeps security groups, WAF IP sets and prefix lists equal to the allowlists',
      environment,
    };
    this.function =
      props.entry === undefined
        ? new lambda.Function(this, 'Function', {
            ...functionProps,
            code: lambda.Code.fromAsset(functionCodeDir()),
            handler: 'index.handler',
          })
        : bundledFunction(this, functionProps, props.entry);
    // The parameters exist (and hold this deployment's ids) before the function that reads them is created or updated;
    // removed ones are deleted in the cleanup, after the function stopped expecting them.
    for (const parameter of this.configParameters) this.function.node.addDependency(parameter);

    acknowledge(
      role,
      'IAM5[Resource::*]',
      'ec2:DescribeSecurityGroups, ec2:DescribeSecurityGroupRules and ec2:DescribeManagedPrefixLists support no resource-level permission (Service Authorization Reference): * is the only resource AWS accepts',
    );
    acknowledge(
      role,
      `IAM5[Resource::${nagResource(this, stack.formatArn({ service: 'ec2', resource: 'security-group-rule', resourceName: '*' }))}]`,
      'security-group-rule ids do not exist until the rule is created; every action on them also requires the pool group ARN, and CreateTags is limited to ec2:CreateAction = AuthorizeSecurityGroupIngress',
    );
    acknowledge(
      triggerDlq,
      'SQS3',
      'This queue IS a dead-letter queue: of the EventBridge Scheduler schedule and of the S3 rules targets; cdk-nag recognises only SQS redrive and Lambda DLQ settings',
    );

    const schedule = Duration.minutes(scheduleMinutes);
    // An own role for the schedule, so its one permission (invoke this function) is ours to review.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    acknowledge(
      scheduleRole,
      `IAM5[Resource::${nagResource(this, this.function.functionArn)}:*]`,
      'The Scheduler target grants lambda:InvokeFunction on this one function and its versions and aliases (function ARN plus :*); nothing else',
    );
    new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.rate(schedule),
      description: 'allowlist-sync: periodic reconcile',
      target: new schedulerTargets.LambdaInvoke(this.function, {
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULE_PAYLOAD),
        retryAttempts: TRIGGER_RETRY_ATTEMPTS,
        maxEventAge: TRIGGER_MAX_EVENT_AGE,
        deadLetterQueue: triggerDlq,
        role: scheduleRole,
      }),
    });
    this.addSourceChangeRules(allowlists, triggerDlq);
    this.addPostDeployRun(props.deployRunId ?? new Date().toISOString());

    this.operations = new SyncOperations(this, 'Operations', {
      fn: this.function,
      allowlists: allowlists.map((a) => a.name),
      deadLetterQueues: [functionDlq, triggerDlq],
      schedule,
      quotaHeadroomAlarmBelow: props.quotaHeadroomAlarmBelow ?? 10,
      alarmNamePrefix: namePrefix,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
    if (props.changeEventArchiveDays !== undefined) {
      this.changeEventArchive = changeEventArchive(
        this,
        'ChangeEventArchive',
        this.allowlistNames,
        props.changeEventArchiveDays,
      );
    }
    this.addOutputs();
  }

  /**
   * A rule on the default bus for runs that changed a target of these allowlists (`Allowlist Applied`), like CDK's
   * `on…Event` methods: `options.target` receives the event, `options.eventPattern` narrows it.
   */
  onApplied(id: string, options: events.OnEventOptions = {}): events.Rule {
    return changeEventRule(this, id, this.allowlistNames, [ChangeDetailType.Applied], options);
  }

  /** A rule for runs that refused a change (`Allowlist Refused`: nothing was written). See {@link onApplied}. */
  onRefused(id: string, options: events.OnEventOptions = {}): events.Rule {
    return changeEventRule(this, id, this.allowlistNames, [ChangeDetailType.Refused], options);
  }

  /** A rule for runs that failed on a target or a source (`Allowlist Failed`). See {@link onApplied}. */
  onFailed(id: string, options: events.OnEventOptions = {}): events.Rule {
    return changeEventRule(this, id, this.allowlistNames, [ChangeDetailType.Failed], options);
  }

  /** A rule for every change event of these allowlists: applied, refused and failed. See {@link onApplied}. */
  onChange(id: string, options: events.OnEventOptions = {}): events.Rule {
    return changeEventRule(this, id, this.allowlistNames, Object.values(ChangeDetailType), options);
  }

  /**
   * One EventBridge rule per S3 object an allowlist reads, so a change applies within seconds. The bucket owner must
   * turn on EventBridge notifications for the bucket; the event goes to the bucket's own account and Region. A signed
   * list triggers on its signature, which the publisher uploads last.
   */
  private addSourceChangeRules(allowlists: readonly DeployAllowlist[], dlq: sqs.IQueue): void {
    const objects = new Map<string, { bucket: string; key: string }>();
    for (const a of allowlists) {
      for (const source of a.sources) {
        if (source.kind !== 's3') continue;
        const signature = signatureObject(source);
        const [bucket, key] = signature
          ? [signature.slice(0, signature.indexOf('/')), signature.slice(signature.indexOf('/') + 1)]
          : [source.bucket, source.key];
        objects.set(`${bucket}/${key}`, { bucket, key });
      }
    }
    [...objects.values()].forEach(({ bucket, key }, i) => {
      new events.Rule(this, `SourceChanged${i + 1}`, {
        description: `allowlist-sync: s3://${bucket}/${key} changed`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: { bucket: { name: [bucket] }, object: { key: [key] } },
        },
        // The whole event is passed on: the function reads detail.bucket.name and detail.object.key.
        targets: [
          new eventTargets.LambdaFunction(this.function, {
            retryAttempts: TRIGGER_RETRY_ATTEMPTS,
            maxEventAge: TRIGGER_MAX_EVENT_AGE,
            deadLetterQueue: dlq,
          }),
        ],
      });
    });
  }

  /**
   * Invokes the function asynchronously with `{"trigger":"deploy"}` after every deploy, once the filters, the function
   * and its policy exist, so new filters are filled before anyone relies on them. Asynchronous: a run that waits for
   * the reserved concurrency, or a source outage, must not roll the deploy back; the alarms report the result. The
   * physical id carries `deployRunId`, so the resource's properties change, and it runs, on every deploy.
   */
  private addPostDeployRun(deployRunId: string): void {
    const invoke: cr.AwsSdkCall = {
      service: 'Lambda',
      action: 'invoke',
      parameters: {
        FunctionName: this.function.functionName,
        InvocationType: 'Event',
        Payload: JSON.stringify(DEPLOY_PAYLOAD),
      },
      physicalResourceId: cr.PhysicalResourceId.of(`allowlist-sync-deploy-${deployRunId}`),
    };
    const run = new cr.AwsCustomResource(this, 'PostDeployRun', {
      onCreate: invoke,
      onUpdate: invoke,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
      ]),
    });
    // The function's role and its policy must exist too, or the first run fails on permissions.
    run.node.addDependency(this.function, this.function.role!);
    // The custom-resource provider is a stack-wide singleton outside this construct.
    const provider = Stack.of(this).node.tryFindChild(
      cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '').replace(/^/, 'AWS'),
    );
    if (provider) {
      acknowledge(
        provider,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'The CDK custom-resource provider that invokes the post-deploy run uses the AWS-managed basic execution policy for its own logs; it is CDK code, not ours, and holds no other permission than invoking this function',
      );
    }
    for (const f of this.filters) for (const resource of f.resources) run.node.addDependency(resource);
  }

  private addOutputs(): void {
    const fn = this.function.functionName;
    const region = Stack.of(this).region;
    const invoke = (payload: string, file: string) =>
      `aws lambda invoke --region ${region} --function-name ${fn} --cli-binary-format raw-in-base64-out --cli-read-timeout 0 --payload '${payload}' ${file} && cat ${file}`;
    new CfnOutput(this, 'FunctionName', { value: fn, description: 'The sync function' });
    new CfnOutput(this, 'ConfigParameterPath', {
      value: this.configPath,
      description: 'SSM path of the RuntimeConfig, one parameter per allowlist (allowlist-sync plan --stack reads it)',
    });
    new CfnOutput(this, 'PlanCommand', {
      value: invoke('{"dryRun":true}', 'plan.json'),
      description: 'Plan (no writes)',
    });
    new CfnOutput(this, 'ApplyCommand', { value: invoke('{"dryRun":false}', 'apply.json'), description: 'Apply now' });
    this.filters.forEach((f, i) => {
      const p = f.provisioned;
      const label = p.definition.name;
      const out = (what: string, values: string[]) => {
        if (values.length > 0) {
          new CfnOutput(this, `Allowlist${i + 1}${what}`, {
            value: values.join(','),
            description: `${label}: ${what}`,
          });
        }
      };
      out('SecurityGroupIds', p.securityGroups?.groupIds ?? []);
      out('IpSetArns', f.ipSetArns);
      out(
        'PrefixListIds',
        [p.prefixLists?.ipv4, p.prefixLists?.ipv6].filter((x): x is string => x !== undefined),
      );
      if (f.ruleGroup) out('RuleGroupArn', [f.ruleGroup.attrArn]);
      if (f.webAcl) out('WebAclArn', [f.webAcl.attrArn]);
    });
  }
}

/** Validates every allowlist (collecting every problem, then throwing once) and returns them parsed. */
function validateAllowlists(
  props: AllowlistSyncProps,
  region: string,
): { allowlists: DeployAllowlist[]; binding?: CredentialBindingConfig } {
  const issues: string[] = [];
  const parsed: DeployAllowlist[] = [];
  if (props.allowlists.length === 0) issues.push('allowlists: give at least one allowlist');
  const names = new Set<string>();
  props.allowlists.forEach((a, i) => {
    const result = DeployAllowlistSchema.safeParse(a);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        issues.push(`allowlists[${i}]${where}: ${issue.message}`);
      }
      return;
    }
    if (names.has(result.data.name)) issues.push(`allowlists[${i}].name: duplicate allowlist "${result.data.name}"`);
    names.add(result.data.name);
    if (result.data.wafIpSets?.scope === 'CLOUDFRONT' && !Token.isUnresolved(region) && region !== 'us-east-1') {
      issues.push(`allowlists[${i}].wafIpSets.scope: CLOUDFRONT IP sets exist only in us-east-1, not ${region}`);
    }
    parsed.push(result.data);
  });
  const archiveIssue =
    props.changeEventArchiveDays === undefined ? undefined : archiveDaysIssue(props.changeEventArchiveDays);
  if (archiveIssue) issues.push(archiveIssue);
  const minutes = props.scheduleMinutes;
  if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= 720)) {
    issues.push(`scheduleMinutes: ${minutes} is not a whole number of minutes from 1 to 720`);
  }
  let binding: CredentialBindingConfig | undefined;
  if (props.credentialBinding !== undefined) {
    const result = CredentialBindingSchema.safeParse(props.credentialBinding);
    if (result.success) binding = result.data;
    else
      for (const issue of result.error.issues)
        issues.push(`credentialBinding.${issue.path.join('.')}: ${issue.message}`);
  }
  if (issues.length === 0) {
    for (const issue of credentialIssues(parsed, binding)) {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      issues.push(`${where.slice(1)}: ${issue.message}`);
    }
  }
  if (issues.length > 0) throw new ConfigError('AllowlistSync props', issues);
  return { allowlists: parsed, ...(binding ? { binding } : {}) };
}

/** The function's settings, whichever way its code is built. */
type FunctionSettings = Omit<lambda.FunctionProps, 'code' | 'handler'>;

/**
 * The directory of the function's own code: the package's prebuilt `dist/function`, or, run from this repository's
 * TypeScript, `lambda/function/handler.ts` bundled with esbuild once per process (lib/bundling-options.ts), so every
 * stack of a synth shares one code asset.
 */
function functionCodeDir(): string {
  if (existsSync(path.join(PREBUILT_FUNCTION_DIR, 'index.js'))) return PREBUILT_FUNCTION_DIR;
  return bundleFunctionOnce(path.join(__dirname, '..', FUNCTION_ENTRY));
}

/**
 * A given entry bundled at synth by NodejsFunction (esbuild, no Docker: docs/aws-behaviour.md §4). The entry belongs
 * to the calling app, which has its own lock file for NodejsFunction to find.
 */
function bundledFunction(scope: Construct, options: FunctionSettings, entry: string): nodejs.NodejsFunction {
  return new nodejs.NodejsFunction(scope, 'Function', {
    ...options,
    entry,
    handler: 'handler',
    bundling: {
      ...FUNCTION_BUNDLING,
      externalModules: [...FUNCTION_BUNDLING.externalModules],
      mainFields: [...FUNCTION_BUNDLING.mainFields],
      format: nodejs.OutputFormat.CJS,
      forceDockerBundling: false,
    },
  });
}

/** An encrypted dead-letter queue that refuses plain-HTTP access, kept 14 days (SQS's maximum) for inspection. */
function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  return new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
}
