// Every `radix` command, in the order `radix --help` lists them. Command files hold only flags and help; each one's
// run() imports its implementation on demand, so `radix eval` never loads the GAN or diffusion packages.
import type { Command } from './kit/index.js';
import { augmentCommand } from './commands/augment.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { experimentCommand } from './commands/experiment.js';
import { mergeCommand } from './commands/merge.js';
import { reportCommand } from './commands/report.js';
import { sampleCommand } from './commands/sample.js';
import { slurmCommand } from './commands/slurm.js';
import { trainDiffusionCommand } from './commands/train-diffusion.js';
import { trainGanCommand } from './commands/train-gan.js';

/** The registered commands. */
export const COMMANDS: readonly Command[] = [
  demoCommand, experimentCommand, reportCommand, evalCommand, augmentCommand, trainDiffusionCommand, trainGanCommand, sampleCommand,
  mergeCommand,
  slurmCommand,
];

/**
 * Finds the command named by the leading words of `argv` (`['train', 'gan', …]` selects `train gan`); returns it and
 * how many words its name used, or the group words when only a prefix matched (`radix train`).
 *
 * @example
 * const hit = findCommand(['eval', '--real', 'a']); // { command: evalCommand, words: 1 }
 */
export function findCommand(argv: readonly string[], commands: readonly Command[] = COMMANDS):
  { command: Command; words: number } | { group: string; members: Command[] } | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-') || words.length === 3) break;
    words.push(a);
  }
  for (let n = words.length; n >= 1; n--) {
    const name = words.slice(0, n).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { command, words: n };
  }
  if (words.length > 0) {
    const members = commands.filter((c) => c.name.startsWith(`${words[0]} `));
    if (members.length > 0) return { group: words[0]!, members };
  }
  return undefined;
}
