// The `radix` dispatcher: finds the command named on the command line, parses its flags, runs it, and maps the
// outcome to exit codes (0 success, 1 failure, 2 usage error). bin.ts calls runCli with the process streams.
import { readFileSync } from 'node:fs';
import { formatCommandHelp, parseCommandArgs, UsageError, type Command, type CommandContext } from './kit/index.js';
import { COMMANDS, findCommand } from './registry.js';

/** The version of @radix/cli, read from its package.json. */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The overview printed by `radix --help`: every command with its summary.
 *
 * @example
 * console.log(formatOverview());
 */
export function formatOverview(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `radix ${cliVersion()} — generative augmentation of small biomedical image sets`,
    '',
    'usage: radix <command> [options]     (radix <command> --help documents every flag)',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'environment: RADIX_BACKEND=auto|webgpu|cpu, RADIX_WEBGPU_ADAPTER=NAME (adapter whose name contains NAME), RADIX_VERBOSE=1',
    '(device warnings), RADIX_DEBUG=1 (stack traces)',
    'exit codes: 0 success, 1 failure, 2 usage error',
    '',
  ].join('\n');
}

function processContext(): CommandContext {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Runs `radix` with `argv` (without the node and script paths) and returns the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], ctx: CommandContext = processContext(), commands: readonly Command[] = COMMANDS): Promise<number> {
  let command: Command | undefined;
  try {
    const first = argv[0];
    if (first === undefined) {
      ctx.stderr.write(formatOverview(commands));
      ctx.stderr.write("radix: no command given\n");
      return 2;
    }
    if (first === '--help' || first === '-h') {
      ctx.stdout.write(formatOverview(commands));
      return 0;
    }
    if (first === '--version' || first === '-v') {
      ctx.stdout.write(`${cliVersion()}\n`);
      return 0;
    }
    if (first === 'help') {
      if (argv.length === 1) {
        ctx.stdout.write(formatOverview(commands));
        return 0;
      }
      const hit = findCommand(argv.slice(1), commands);
      if (hit && 'command' in hit) {
        ctx.stdout.write(formatCommandHelp(hit.command));
        return 0;
      }
      throw new UsageError(`no command '${argv.slice(1).join(' ')}' (commands: ${commands.map((c) => c.name).join(', ')})`);
    }
    const hit = findCommand(argv, commands);
    if (!hit) {
      const what = first.startsWith('-') ? `no command given before '${first}'` : `unknown command '${first}'`;
      throw new UsageError(`${what} (commands: ${commands.map((c) => c.name).join(', ')})`);
    }
    if ('group' in hit) {
      const help = argv.includes('--help') || argv.includes('-h');
      const text = `radix ${hit.group} needs one of:\n${hit.members.map((c) => `  radix ${c.name.padEnd(18)}${c.summary}`).join('\n')}\n`;
      if (help) {
        ctx.stdout.write(text);
        return 0;
      }
      ctx.stderr.write(text);
      throw new UsageError(`radix ${hit.group}: missing or unknown subcommand${argv[1] && !argv[1].startsWith('-') ? ` '${argv[1]}'` : ''}`);
    }
    command = hit.command;
    const args = parseCommandArgs(command, argv.slice(hit.words));
    if (!args) {
      ctx.stdout.write(formatCommandHelp(command));
      return 0;
    }
    return (await command.run(args, ctx)) ?? 0;
  } catch (e) {
    const usage = e instanceof UsageError;
    const err = e as Error;
    ctx.stderr.write(`radix: ${err.message ?? String(e)}${usage ? `\n(see 'radix ${command ? `${command.name} ` : ''}--help')` : ''}\n`);
    if (!usage && ctx.env.RADIX_DEBUG === '1' && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return usage ? 2 : 1;
  }
}
