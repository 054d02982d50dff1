// The shared kit every `radix` command is built from: the Command shape and its argument parser, value parsers,
// the common flags, usage errors, progress, tables and the atomic writer.
export { UsageError } from './errors.js';
export { parseNumber, parseInteger, parsePair, parseList, parseChoice, type IntegerBounds } from './parsers.js';
export {
  ParsedArgs, parseCommandArgs, formatCommandHelp, type Command, type CommandContext, type OptionSpec, type PositionalSpec,
} from './command.js';
export { BACKENDS, BACKEND_OPTION, SEED_OPTION, JSON_OPTION, MAX_PIXELS_OPTION, QUIET_OPTION, readBackend, readSeed, type BackendChoice } from './common.js';
export { writeFileAtomic, toJsonText } from './output.js';
export { createProgress, silentProgress, formatDuration, type Progress, type ProgressOptions, type ProgressStream } from '../progress.js';
export { formatTable, formatValue } from '../table.js';
