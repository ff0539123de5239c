import { type CommandModule, withJson, withTarget } from '../context';
import { CliError } from '../errors';
import { createProgress } from '../format/progress';
import { redrive } from '../ops/redrive';
import { positiveInt } from '../parse';
import type { TargetOptions } from '../target';

interface RedriveOptions extends TargetOptions {
  readonly max?: number;
  readonly progress: boolean;
  readonly json?: boolean;
}

/** `taskpulse redrive`: move dead-lettered messages back to the events queue, losing none. */
export const redriveCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('redrive')
    .description(
      'move messages from the dead-letter queue back to the events queue (send first, delete after)',
    )
    .option('--max <n>', 'move at most this many', positiveInt())
    .option('--no-progress', 'no progress bar');
  withJson(withTarget(command, ['eventsQueue', 'deadLetterQueue'])).action(
    async (options: RedriveOptions) => {
      const { target, clients } = await ctx.connect(options);
      const fromUrl = await target.resource('deadLetterQueue');
      const toUrl = await target.resource('eventsQueue');
      const bar = createProgress(ctx.io.stderr, 'redrive', options.progress);
      let total: number | undefined;
      const result = await redrive({
        sqs: clients.sqs,
        fromUrl,
        toUrl,
        ...(options.max !== undefined && { max: options.max }),
        signal: ctx.signal,
        onStart: (before) => {
          total = before;
        },
        onProgress: (p) => {
          bar.update({
            done: p.moved + p.failed,
            ...(total !== undefined && { total }),
            detail: p.failed > 0 ? `${p.failed} failed` : '',
          });
        },
      }).finally(() => bar.done());
      if (options.json) ctx.printJson({ from: fromUrl, to: toUrl, ...result });
      else if (result.moved + result.failed === 0)
        ctx.print(`the dead-letter queue is empty: nothing to move (${fromUrl})`);
      else {
        ctx.print(`moved ${result.moved} message${result.moved === 1 ? '' : 's'} from ${fromUrl}`);
        ctx.print(`                to ${toUrl}`);
        if (result.duplicated > 0)
          ctx.print(
            `${result.duplicated} were sent but could not be deleted from the DLQ: they will be delivered twice (harmless)`,
          );
        ctx.print(`about ${result.remaining} left in the dead-letter queue`);
      }
      if (result.failed > 0) {
        const codes = Object.entries(result.errors)
          .map(([code, n]) => `${code} ×${n}`)
          .join(', ');
        throw new CliError(
          `${result.failed} messages could not be sent and are still in the dead-letter queue (${codes})`,
          {
            hint: 'fix the cause and run taskpulse redrive again',
          },
        );
      }
    },
  );
};
