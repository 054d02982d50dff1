// The dispatcher and the command kit: exit codes, help rendering from option specs, typed flag readers, the group
// prefix of two-word commands, and lazy loading (help and unrelated commands never load heavy packages).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, formatOverview } from './dispatch.js';
import { COMMANDS, findCommand } from './registry.js';
import { evalCommand } from './commands/eval.js';
import { METRIC_NAMES, SSIM_MODES } from './eval.js';
import { formatCommandHelp, parseCommandArgs, readBackend, readSeed, UsageError, type Command, type CommandContext } from './kit/index.js';
import { INCEPTION_RESIZES } from '@radix/metrics';
import { tempDir } from './test-images.js';

function capture(env: Record<string, string> = {}): CommandContext & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, cwd: process.cwd() };
}

const echo: Command = {
  name: 'train toy', summary: 'a test command', usage: 'radix train toy DATA [options]',
  positionals: [{ name: 'DATA', description: 'a folder' }],
  options: [
    { name: 'steps', type: 'string', arg: 'N', description: 'number of steps (default 10)' },
    { name: 'zoom', type: 'string', arg: 'A,B', description: 'a range' },
    { name: 'class', type: 'string', arg: 'C', multiple: true, description: 'repeatable' },
    { name: 'fail', type: 'boolean', description: 'throw a plain error' },
  ],
  async run(args, ctx) {
    if (args.flag('fail')) throw new Error('it broke');
    const [data] = args.expectPositionals('train toy', ['DATA']);
    ctx.stdout.write(JSON.stringify({ data, steps: args.integer('steps', { min: 1 }) ?? 10, zoom: args.pair('zoom'), classes: args.strings('class') }));
    return 0;
  },
};

describe('dispatcher', () => {
  it('selects two-word commands, parses typed flags and maps errors to exit codes', async () => {
    const cmds = [...COMMANDS, echo];
    let c = capture();
    expect(await runCli(['train', 'toy', 'd', '--steps', '5', '--zoom', '1,1.5', '--class', 'a', '--class', 'b'], c, cmds)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toEqual({ data: 'd', steps: 5, zoom: [1, 1.5], classes: ['a', 'b'] });
    c = capture();
    expect(await runCli(['train', 'toy', 'd', '--steps', '0'], c, cmds)).toBe(2);
    expect(c.err.join('')).toBe("radix: --steps must be ≥ 1, got 0\n(see 'radix train toy --help')\n");
    c = capture();
    expect(await runCli(['train', 'toy', 'd', '--steps', '2.5'], c, cmds)).toBe(2);
    expect(c.err.join('')).toMatch(/--steps expects an integer, got '2.5'/);
    c = capture();
    expect(await runCli(['train', 'toy'], c, cmds)).toBe(2);
    expect(c.err.join('')).toMatch(/radix train toy needs DATA, got none/);
    c = capture();
    expect(await runCli(['train', 'toy', 'd', '--fail'], c, cmds)).toBe(1);
    expect(c.err.join('')).toBe('radix: it broke\n');
    c = capture();
    expect(await runCli(['train'], c, cmds)).toBe(2);
    expect(c.err.join('')).toMatch(/radix train needs one of:\n(  radix train \S+ .*\n)*  radix train toy +a test command\n/);
    c = capture();
    expect(await runCli(['train', '--help'], c, cmds)).toBe(0);
    expect(c.out.join('')).toMatch(/radix train toy/);
    c = capture();
    expect(await runCli(['train', 'toy', '--help'], c, cmds)).toBe(0);
    expect(c.out.join('')).toBe(formatCommandHelp(echo));
  });

  it('renders help from the option specs', () => {
    const help = formatCommandHelp(echo);
    expect(help).toMatch(/^radix train toy — a test command\n\nusage: radix train toy DATA \[options\]\n\n  DATA +a folder\n/);
    expect(help).toMatch(/\n      --steps N +number of steps \(default 10\)\n/);
    expect(help).toMatch(/\n  -h, --help +this text\n/);
    expect(formatOverview()).toMatch(/commands:\n  demo +the main job[^\n]*\n  experiment +[^\n]*\n  report +[^\n]*\n  eval +compare/);
  });

  it('the eval help lists exactly the metric names, SSIM modes and resizes runEval accepts', () => {
    const help = formatCommandHelp(evalCommand);
    expect(help).toContain(METRIC_NAMES.join(','));
    expect(help).toContain(SSIM_MODES.join('|'));
    expect(help).toContain(INCEPTION_RESIZES.join('|'));
  });

  it('findCommand prefers the longest name; common flag readers validate', () => {
    expect(findCommand(['eval', '--real', 'x'])).toMatchObject({ command: { name: 'eval' }, words: 1 });
    expect(findCommand(['--real'])).toBeUndefined();
    const args = parseCommandArgs({ ...echo, options: [...echo.options, { name: 'backend', type: 'string', description: '' }, { name: 'seed', type: 'string', description: '' }] }, ['--backend', 'gpu', '--seed', '9007199254740991'])!;
    expect(() => readBackend(args)).toThrow(UsageError);
    expect(readSeed(args)).toBe(2 ** 53 - 1);
    const none = parseCommandArgs(echo, [])!;
    expect(readBackend(none, { RADIX_BACKEND: 'cpu' })).toBe('cpu');
    expect(() => readBackend(none, { RADIX_BACKEND: 'tpu' })).toThrow(/RADIX_BACKEND expects one of auto\|webgpu\|cpu, got 'tpu'/);
  });
});

describe('lazy loading', () => {
  const pkg = fileURLToPath(new URL('..', import.meta.url));
  beforeAll(() => {
    execFileSync('npx', ['tsup'], { cwd: pkg, stdio: 'ignore' });
  });

  /** Runs the built CLI with a resolve hook that records every module URL it loads. */
  function loadedModules(...args: string[]): string[] {
    const dir = tempDir('hooks');
    const log = join(dir, 'loaded.txt');
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    writeFileSync(log, '');
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(pkg, 'dist', 'bin.js'), ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  }

  it('radix --help and radix augment --help load no compute package', () => {
    for (const args of [['--help'], ['augment', '--help'], ['eval', '--help']]) {
      const loaded = loadedModules(...args);
      expect(loaded.some((u) => u.includes('/cli/dist/'))).toBe(true);
      expect(loaded.filter((u) => /\/(tensor-webgpu|metrics|augment|gan|diffusion)\/dist\//.test(u))).toEqual([]);
    }
  });
});
