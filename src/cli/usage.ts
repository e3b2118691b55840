/**
 * yargs' own words for a command-line mistake ("Unknown argument: frozen", "Not enough non-option arguments: got
 * 0, need at least 1") turned into what is wrong and what to type instead, with the option or command meant.
 */
import yargs, { type CommandModule } from 'yargs';
import { closest } from '../validate/closest.js';

export interface CommandInfo {
  name: string;
  /** `validate <manifest>`: the command as typed, with its arguments. */
  usage: string;
  /** Long option names (without --), the global ones included. */
  options: string[];
  /** A first example, e.g. `fleetgen validate fleet.yaml`. */
  example: string;
}

const GLOBAL_OPTIONS = ['help', 'version'];

/** Options and arguments of each command, read from the command's own builder. */
export function describeCommands(commands: readonly CommandModule[]): CommandInfo[] {
  return commands.map((command) => {
    const usage = String(command.command);
    const name = usage.split(' ')[0] ?? '';
    const probe = yargs([]);
    if (typeof command.builder === 'function') command.builder(probe);
    const keys = Object.keys((probe as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
    const own = keys.filter((key) => key.length > 1 && !/[A-Z]/.test(key) && !usage.includes(`<${key}>`) && !usage.includes(`[${key}]`) && !GLOBAL_OPTIONS.includes(key));
    const options = [...own, ...GLOBAL_OPTIONS];
    const argument = /<([a-z-]+)>/.exec(usage)?.[1];
    return { name, usage, options, example: `fleetgen ${name}${argument === 'manifest' ? ' fleet.yaml' : argument ? ` ${argument.toUpperCase()}` : ''}` };
  });
}

/** Our message for a yargs message, or undefined when it is not one of the mistakes we know. */
export function explainUsage(message: string, args: readonly string[], commands: readonly CommandInfo[]): { message: string; hint?: string } | undefined {
  const typed = args.find((arg) => !arg.startsWith('-'));
  const names = commands.map((c) => c.name);
  if (typed !== undefined && !names.includes(typed)) {
    const guess = closest(typed, names);
    return { message: `unknown command ${JSON.stringify(typed)}${guess ? `; did you mean "${guess}"?` : `; the commands are ${names.join(', ')}`}` };
  }
  const command = commands.find((c) => c.name === typed);
  const where = command ? `fleetgen ${command.name}` : 'fleetgen';
  const help = command ? `run "fleetgen ${command.name} --help" for its options and examples` : 'run "fleetgen --help" for usage';

  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown) {
    const listed = (unknown[1] ?? '').split(', ');
    // yargs also lists the camelCase twin of an unknown --kebab-option: one mistake, said once.
    const words = listed.filter((word) => !listed.some((other) => other !== word && other.includes('-') && camelCase(other) === word));
    const options = command?.options ?? GLOBAL_OPTIONS;
    const parts = words.map((word) => {
      const written = args.find((arg) => arg.replace(/^-+/, '').split('=')[0] === word);
      if (written === undefined || !written.startsWith('-')) return `unexpected argument ${JSON.stringify(word)} (${command ? `usage: fleetgen ${command.usage}` : 'name one command'})`;
      const guess = closest(word, options);
      return `unknown option --${word} for ${where}${guess ? `; did you mean --${guess}?` : `; its options are ${options.map((o) => `--${o}`).join(', ')}`}`;
    });
    return { message: parts.join('; '), hint: help };
  }
  if (/^Not enough non-option arguments/.test(message) && command) {
    const argument = /<([a-z-]+)>/.exec(command.usage)?.[1] ?? 'argument';
    return { message: `${where} needs its <${argument}>: fleetgen ${command.usage}`, hint: `e.g. "${command.example}"; ${help}` };
  }
  const missingValue = /^Not enough arguments following: (.+)$/.exec(message);
  if (missingValue) return { message: `--${missingValue[1] ?? ''} needs a value`, hint: help };
  const choice = /^Invalid values:\s+Argument: ([^,]+), Given: (.+), Choices: (.+)$/s.exec(message);
  if (choice) {
    const allowed = (choice[3] ?? '').trim();
    const given = (choice[2] ?? '').trim();
    const isPositional = command?.usage.includes(`[${choice[1]}]`) ?? false;
    return { message: `${isPositional ? '' : '--'}${choice[1]} must be one of ${allowed}, not ${given}`, hint: help };
  }
  return undefined;
}

function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
