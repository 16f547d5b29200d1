/**
 * `allowlist-sync aggregate FILE...`: prints the canonical aggregated prefixes, one a line, IPv4 ascending then IPv6
 * ascending (as FireHOL's `iprange` does for IPv4), after exactly the parsing and policy a sync applies. On any
 * problem it prints nothing on stdout, the problems on stderr as `FILE:LINE: message`, and exits 1.
 */
import { parseArgs } from 'node:util';
import { buildFromArgs, POLICY_HELP, POLICY_OPTIONS, reportError } from './args';
import { AWS_OPTIONS, awsHelp, awsSettingsFromFlags } from './aws-settings';
import { type Command, Exit, type Io } from './io';

const help = `Usage: allowlist-sync aggregate [options] FILE...

Prints the minimal list of CIDRs covering every address of the FILEs (unioned), IPv4 ascending then IPv6
ascending, one a line. "-" reads standard input. The lists go through the sync's own parsing and entry policy;
the flags below relax the policy explicitly.

Options:
${POLICY_HELP}
For s3:// and ssm: FILEs:
${awsHelp(30)}

Exit codes: 0 printed, 1 refused or bad usage (nothing on stdout; the problems on stderr as FILE:LINE: message).
`;

/** The `aggregate` command. */
export const command: Command = {
  name: 'aggregate',
  summary: 'print the canonical aggregated prefixes of one or more lists',
  async run(argv: string[], io: Io): Promise<number> {
    try {
      const { values, positionals } = parseArgs({
        args: argv,
        options: { ...POLICY_OPTIONS, ...AWS_OPTIONS },
        allowPositionals: true,
      });
      if (values.help) {
        io.stdout.write(help);
        return Exit.OK;
      }
      const built = await buildFromArgs(positionals, values, io, awsSettingsFromFlags(values));
      // One write of the whole text: the set prints itself into a single buffer.
      io.stdout.write(built.set.toText());
      return Exit.OK;
    } catch (error) {
      return reportError('aggregate', error, io);
    }
  },
};
