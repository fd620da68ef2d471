import { CHECK_CONFIG_HELP, checkConfigCommand } from './commands/check-config.js';
import { MIGRATE_HELP, migrateCommand } from './commands/migrate.js';
import { PLAN_HELP, planCommand } from './commands/plan.js';
import { UsageError, type CliContext } from './cli-context.js';

export const MAIN_HELP = `Usage: durable-delivery <command> [options]

Commands:
  check-config [file]                     validate the delivery config and print every error with its line
  migrate                                 apply pending database migrations (DATABASE_URL, else PGlite in DATA_DIR)
  plan --deploy <service@version | set N> --to <environment> [--json]
                                          print the ordered plan a deploy would make, without starting it
  sandbox                                 run the bot against a local Slack emulator and a simulated fleet
                                          (a web console on PORT, default 3000)

Run "durable-delivery <command> --help" for a command's options.
The config file is DELIVERY_CONFIG, else ./delivery.yaml, else the shipped examples/delivery.yaml.`;

type Command = { help: string; run(args: string[], context: CliContext): Promise<number> };

const COMMANDS: Record<string, Command> = {
  'check-config': { help: CHECK_CONFIG_HELP, run: checkConfigCommand },
  migrate: { help: MIGRATE_HELP, run: migrateCommand },
  plan: { help: PLAN_HELP, run: planCommand },
};

/** Runs one CLI invocation and answers its exit code: 0 success, 1 a refusal or invalid input, 2 a usage error. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.out(MAIN_HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    context.err(`Unknown command "${name}".\n\n${MAIN_HELP}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    context.out(command.help);
    return 0;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      context.err(`${(error as Error).message}\n\n${command.help}`);
      return 2;
    }
    throw error;
  }
}
