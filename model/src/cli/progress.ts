/** A one-line progress bar on stderr when it is a terminal; silent otherwise (logs and pipes stay clean). */
export interface Progress {
  update(fraction: number, detail?: string): void;
  done(detail?: string): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const enabled = stream.isTTY === true;
  const width = 30;
  let lastDraw = 0;
  const draw = (fraction: number, detail: string): void => {
    const clamped = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(clamped * width);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(clamped * 100).toFixed(0).padStart(3)}% ${detail}\x1b[K`);
  };
  return {
    update(fraction, detail = '') {
      if (!enabled) return;
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      draw(fraction, detail);
    },
    done(detail = '') {
      if (!enabled) return;
      draw(1, detail);
      stream.write('\n');
    },
  };
}
