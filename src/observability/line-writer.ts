/**
 * Buffers log lines and writes them in batches, so a request never pays for a write syscall.
 * Flushes every `intervalMs`, when the buffer passes `maxBytes`, and on `flush()` at shutdown.
 * A source (the access log) may keep its entries unformatted and turn them into lines only when
 * the writer flushes: it is attached once, and calls `wake()` when it holds something.
 */
export interface LineWriter {
  write(line: string): void;
  flush(): void;
  /** Drained into lines at every flush, before the lines written since the last one. */
  attach(source: LineSource): void;
  /** A source holds entries: flush within `intervalMs`. */
  wake(): void;
}

export interface LineSource {
  /** Appends its entries to `lines`, formatted, and forgets them. */
  drain(lines: string[]): void;
}

export function createLineWriter(
  sink: (chunk: string) => void = (chunk) => process.stdout.write(chunk),
  { intervalMs = 200, maxBytes = 64 * 1024 } = {},
): LineWriter {
  let lines: string[] = [];
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sources: LineSource[] = [];

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const written = lines;
    lines = [];
    bytes = 0;
    for (const source of sources) source.drain(lines);
    if (written.length > 0) lines.push(...written);
    if (lines.length === 0) return;
    const chunk = `${lines.join("\n")}\n`;
    lines = [];
    sink(chunk);
  };
  const wake = () => {
    if (timer) return;
    timer = setTimeout(flush, intervalMs);
    timer.unref?.();
  };

  return {
    write(line) {
      lines.push(line);
      bytes += line.length;
      if (bytes >= maxBytes) flush();
      else wake();
    },
    flush,
    attach(source) {
      sources.push(source);
    },
    wake,
  };
}
