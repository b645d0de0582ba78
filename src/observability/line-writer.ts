/**
 * Buffers log lines and writes them in batches, so a request never pays for a write syscall.
 * Flushes every `intervalMs`, when the buffer passes `maxBytes`, and on `flush()` at shutdown.
 */
export interface LineWriter {
  write(line: string): void;
  flush(): void;
}

export function createLineWriter(
  sink: (chunk: string) => void = (chunk) => process.stdout.write(chunk),
  { intervalMs = 200, maxBytes = 64 * 1024 } = {},
): LineWriter {
  let lines: string[] = [];
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0) return;
    const chunk = `${lines.join("\n")}\n`;
    lines = [];
    bytes = 0;
    sink(chunk);
  };

  return {
    write(line) {
      lines.push(line);
      bytes += line.length;
      if (bytes >= maxBytes) flush();
      else if (!timer) {
        timer = setTimeout(flush, intervalMs);
        timer.unref?.();
      }
    },
    flush,
  };
}
