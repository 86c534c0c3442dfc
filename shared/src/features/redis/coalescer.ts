export interface CoalescerOptions<Input, Output> {
  /** Runs a group of inputs as one; resolves to one output per input, in the group's order. */
  run(group: readonly Input[]): Promise<readonly Output[]>;
  /** Whether `input` may be run in one group with `first`, the group's first input. */
  canJoin(first: Input, input: Input): boolean;
  /** An input's share of a group's size. */
  sizeOf(input: Input): number;
  /** A group grows to this size at most, unless its first input alone is larger. */
  maxSize: number;
}

/**
 * A queue that runs one group at a time: inputs that arrive while a group runs wait, and the next
 * group takes as many of them as may run together (in arrival order, skipping those that may not
 * join), so a burst of small inputs costs one run rather than one each. A failed run rejects each
 * of its inputs, and the queue goes on with the next group.
 */
export function createCoalescer<Input, Output>(options: CoalescerOptions<Input, Output>): (input: Input) => Promise<Output> {
  const { run, canJoin, sizeOf, maxSize } = options;
  interface Waiting {
    input: Input;
    resolve: (output: Output) => void;
    reject: (err: unknown) => void;
  }
  let waiting: Waiting[] = [];
  let running = false;

  const nextGroup = (): Waiting[] => {
    const first = waiting[0]!.input;
    const group: Waiting[] = [];
    let size = 0;
    waiting = waiting.filter((entry) => {
      if (!canJoin(first, entry.input) || (group.length > 0 && size + sizeOf(entry.input) > maxSize)) return true;
      group.push(entry);
      size += sizeOf(entry.input);
      return false;
    });
    return group;
  };

  async function drain(): Promise<void> {
    running = true;
    while (waiting.length > 0) {
      const group = nextGroup();
      try {
        const outputs = await run(group.map((entry) => entry.input));
        group.forEach((entry, at) => entry.resolve(outputs[at]!));
      } catch (err) {
        for (const entry of group) entry.reject(err);
      }
    }
    running = false;
  }

  return (input) =>
    new Promise<Output>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      if (!running) void drain();
    });
}
