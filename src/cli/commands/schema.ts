import type { CommandModule } from 'yargs';
import { fleetSchema } from '../../validate/schema.js';
import type { CommandContext } from '../context.js';

/** `fleetgen schema`: the manifest's JSON Schema, for editors and other tools. */
export function schemaCommand(context: CommandContext): CommandModule<object, object> {
  return {
    command: 'schema',
    describe: 'Print the JSON Schema of fleet.yaml (editors use it to check the manifest as you type).',
    builder: (yargs) =>
      yargs
        .example('$0 schema > fleet.schema.json', 'write it beside the manifest, for an editor that works offline')
        .example('$0 schema | jq .properties.hosts', 'read one part of it'),
    handler: () => {
      context.io.stdout(JSON.stringify(fleetSchema(), null, 2) + '\n');
    },
  };
}
