/**
 * The CLI's commander `Command`: every command it creates suggests the nearest option or command
 * after a typo, and reports an unknown option before a missing required one (`--multisg` names
 * `--multisig` instead of saying `--multisig` was not given).
 */
import { Command, type ParseOptionsResult } from 'commander';

/** commander's own unknown-option report (with its "Did you mean" suggestion); not in its typings. */
type Reporter = { unknownOption(flag: string): void };

export class BackstopCommand extends Command {
  constructor(name?: string) {
    super(name);
    this.showSuggestionAfterError(true);
  }

  override createCommand(name?: string): Command {
    return new BackstopCommand(name);
  }

  override parseOptions(argv: string[]): ParseOptionsResult {
    const parsed = super.parseOptions(argv);
    const first = parsed.unknown[0];
    // commander checks required options first; a typo'd option would then read as a missing one.
    // Only on a leaf command, which would refuse it anyway (a parent hands unknown options to its subcommand).
    const helpAsked = argv.includes('--help') || argv.includes('-h');
    if (first !== undefined && first.length > 1 && first.startsWith('-') && this.commands.length === 0 && !helpAsked) {
      (this as unknown as Reporter).unknownOption(first);
    }
    return parsed;
  }
}
