// What a `radix` command is: a name, a one-line summary, documented flags and positionals, and a run function. Every
// file under commands/ exports one; the dispatcher parses argv against its flags and renders its --help from them.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { parseChoice, parseInteger, parseList, parseNumber, parsePair, type IntegerBounds } from './parsers.js';

/** One flag of a command. */
export interface OptionSpec {
  /** Long name without dashes (`batch-size`). */
  name: string;
  /** `boolean` flags take no value. */
  type: 'string' | 'boolean';
  /** One-letter alias (`-n`). */
  short?: string;
  /** Placeholder for the value in --help (`N`, `DIR`, `LIST`). */
  arg?: string;
  /** What it does, including its default; wrapped into --help. */
  description: string;
  /** Repeatable (`--class 0 --class 2`). */
  multiple?: boolean;
}

/** One positional argument of a command (documentation only; the command checks the count). */
export interface PositionalSpec {
  name: string;
  description: string;
}

/** Streams and environment a command runs with (process ones in the CLI, doubles in tests). */
export interface CommandContext {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  /** Working directory relative paths are resolved against. */
  cwd: string;
}

/** A `radix` subcommand. */
export interface Command {
  /** The words that select it: `eval`, `train diffusion`. */
  name: string;
  /** One line for `radix --help`. */
  summary: string;
  /** The usage line (`radix eval --real DIR --fake DIR [options]`). */
  usage: string;
  positionals?: readonly PositionalSpec[];
  options: readonly OptionSpec[];
  /** Paragraphs printed after the flags (outputs, exit codes, examples). */
  details?: string;
  /** Runs the command; returns the exit code (default 0). Throw {@link UsageError} for bad invocations. */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number | void>;
}

/**
 * Parsed flags and positionals with typed accessors whose errors name the flag.
 *
 * @example
 * const steps = args.integer('steps', { min: 1 }) ?? 20000;
 */
export class ParsedArgs {
  constructor(
    /** Raw flag values by long name. */
    readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>,
    /** Positional arguments after the command words. */
    readonly positionals: readonly string[],
  ) {}

  /** A string flag, or undefined. */
  string(name: string): string | undefined {
    const v = this.values[name];
    if (Array.isArray(v)) return v.at(-1) as string | undefined;
    return typeof v === 'string' ? v : undefined;
  }

  /** Every value of a repeatable string flag. */
  strings(name: string): string[] {
    const v = this.values[name];
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).map(String);
  }

  /** A boolean flag (false when absent). */
  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A finite number. */
  number(name: string): number | undefined {
    return parseNumber(name, this.string(name));
  }

  /** A safe integer within bounds. */
  integer(name: string, bounds?: IntegerBounds): number | undefined {
    return parseInteger(name, this.string(name), bounds);
  }

  /** `A,B` as two numbers. */
  pair(name: string): [number, number] | undefined {
    return parsePair(name, this.string(name));
  }

  /** A comma-separated list, optionally restricted to `allowed`. */
  list<T extends string = string>(name: string, allowed?: readonly T[]): T[] | undefined {
    return parseList(name, this.string(name), allowed);
  }

  /** One of `allowed`. */
  choice<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    return parseChoice(name, this.string(name), allowed);
  }

  /**
   * Exactly `names.length` positionals, returned in order; otherwise a usage error naming what is expected.
   */
  expectPositionals(command: string, names: readonly string[]): string[] {
    if (this.positionals.length !== names.length) {
      throw new UsageError(`radix ${command} needs ${names.length === 0 ? 'no positional arguments' : names.join(' ')}, got ${this.positionals.length === 0 ? 'none' : `'${this.positionals.join(' ')}'`}`);
    }
    return [...this.positionals];
  }
}

const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', short: 'h', description: 'this text' };

/**
 * Parses a command's arguments (everything after its name) strictly against its flags. Returns `undefined` when
 * `--help` was given.
 *
 * @example
 * const args = parseCommandArgs(evalCommand, ['--real', 'a', '--fake', 'b']);
 */
export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs | undefined {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const o of [...command.options, HELP_OPTION]) {
    options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`radix ${command.name}: ${(e as Error).message}`);
  }
  if (parsed.values.help === true) return undefined;
  return new ParsedArgs(parsed.values as ParsedArgs['values'], parsed.positionals);
}

function wrap(text: string, width: number, indent: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(indent)}${l}`));
}

/**
 * Renders a command's --help: summary, usage, positionals, every flag with its description, then the details.
 *
 * @example
 * process.stdout.write(formatCommandHelp(evalCommand));
 */
export function formatCommandHelp(command: Command): string {
  const left = (o: OptionSpec): string => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
  const all = [...command.options, HELP_OPTION];
  const col = Math.min(30, Math.max(...all.map((o) => left(o).length), ...(command.positionals ?? []).map((p) => p.name.length + 2)) + 2);
  const out = [`radix ${command.name} — ${command.summary}`, '', `usage: ${command.usage}`, ''];
  if (command.positionals?.length) {
    for (const p of command.positionals) out.push(`  ${p.name.padEnd(col)}${wrap(p.description, 76, col + 2).join('\n')}`);
    out.push('');
  }
  for (const o of all) {
    const l = left(o);
    const pad = l.length >= col ? `\n  ${' '.repeat(col)}` : ' '.repeat(col - l.length);
    out.push(`  ${l}${pad}${wrap(o.description, 76, col + 2).join('\n')}`);
  }
  if (command.details) out.push('', command.details.trim());
  return `${out.join('\n')}\n`;
}
