import cliProgress from 'cli-progress';

export interface StepBar {
  /** Moves the bar (and optionally its total and the text after it). */
  update(value: number, detail?: string, total?: number): void;
  /** Completes the bar with a final text. */
  done(detail?: string): void;
}

/**
 * One progress bar per long step of the demo, on stderr (stdout keeps the table and the JSON line). Without a
 * terminal, cli-progress prints the bars every few seconds instead of redrawing them.
 */
export class DemoProgress {
  private readonly multibar: cliProgress.MultiBar;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        format: ' {step} |{bar}| {value}/{total} {detail}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        noTTYOutput: true,
        notTTYSchedule: 10_000,
        autopadding: true,
        forceRedraw: !stream.isTTY,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  bar(step: string, total: number, detail = ''): StepBar {
    const bar = this.multibar.create(Math.max(1, total), 0, { step: step.padEnd(22), detail });
    let currentTotal = Math.max(1, total);
    return {
      update: (value, text, newTotal) => {
        if (newTotal !== undefined && newTotal !== currentTotal) {
          currentTotal = Math.max(1, newTotal);
          bar.setTotal(currentTotal);
        }
        bar.update(Math.min(value, currentTotal), text === undefined ? {} : { detail: text });
      },
      done: (text) => {
        bar.update(currentTotal, text === undefined ? {} : { detail: text });
      },
    };
  }

  /** A line of text above the bars. */
  log(line: string): void {
    this.multibar.log(`${line}\n`);
  }

  stop(): void {
    this.multibar.stop();
  }
}
