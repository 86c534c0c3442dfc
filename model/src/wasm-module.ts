/**
 * Just enough of the WebAssembly binary format to emit one module with one exported memory and one
 * exported function, for the offline forward pass (forward-pass.ts): no toolchain at build or run time.
 */

/** Unsigned LEB128. */
function unsigned(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 (32-bit values). */
function signed(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

const SIMD = 0xfd;
const simd = (opcode: number): number[] => [SIMD, ...unsigned(opcode)];

export const I32 = 0x7f;
export const V128 = 0x7b;

/** A function body: locals are declared up front, instructions appended in order. */
export class FunctionBuilder {
  private readonly code: number[] = [];
  private readonly localTypes: number[] = [];

  constructor(private readonly paramCount: number) {}

  /** Declares a local of `type`; returns its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  private emit(...bytes: number[]): this {
    for (const byte of bytes) this.code.push(byte);
    return this;
  }

  get = (index: number): this => this.emit(0x20, ...unsigned(index));
  set = (index: number): this => this.emit(0x21, ...unsigned(index));
  i32 = (value: number): this => this.emit(0x41, ...signed(value | 0));
  i32Add = (): this => this.emit(0x6a);
  i32Mul = (): this => this.emit(0x6c);
  i32Ne = (): this => this.emit(0x47);
  i32GeU = (): this => this.emit(0x4f);
  block = (): this => this.emit(0x02, 0x40);
  loop = (): this => this.emit(0x03, 0x40);
  end = (): this => this.emit(0x0b);
  br = (depth: number): this => this.emit(0x0c, ...unsigned(depth));
  brIf = (depth: number): this => this.emit(0x0d, ...unsigned(depth));

  /** v128.load from the address on the stack + offset. */
  load = (offset = 0): this => this.emit(...simd(0x00), 4, ...unsigned(offset));
  /** v128.load32_splat: one f32 at address + offset, in all four lanes. */
  loadSplat = (offset = 0): this => this.emit(...simd(0x09), 2, ...unsigned(offset));
  /** v128.store of the value on the stack at the address below it + offset. */
  store = (offset = 0): this => this.emit(...simd(0x0b), 4, ...unsigned(offset));
  /** A v128 constant with the same f32 in all four lanes. */
  f32x4Const = (value: number): this => {
    const bytes = new Uint8Array(new Float32Array([value, value, value, value]).buffer);
    return this.emit(...simd(0x0c), ...bytes);
  };
  f32x4Gt = (): this => this.emit(...simd(0x44));
  andNot = (): this => this.emit(...simd(0x4f));
  bitselect = (): this => this.emit(...simd(0x52));
  i32x4Shl = (): this => this.emit(...simd(0xab));
  i32x4ShrS = (): this => this.emit(...simd(0xac));
  f32x4Abs = (): this => this.emit(...simd(0xe0));
  f32x4Add = (): this => this.emit(...simd(0xe4));
  f32x4Sub = (): this => this.emit(...simd(0xe5));
  f32x4Mul = (): this => this.emit(...simd(0xe6));
  f32x4Div = (): this => this.emit(...simd(0xe7));
  /** f32x4.pmax(a, b): b where a < b, else a. */
  f32x4Pmax = (): this => this.emit(...simd(0xeb));

  /** The function's code entry (locals and body), for the code section. */
  encode(): number[] {
    const groups: number[] = [];
    let count = 0;
    for (let index = 0; index < this.localTypes.length; index++) {
      const type = this.localTypes[index]!;
      let run = 1;
      while (index + 1 < this.localTypes.length && this.localTypes[index + 1] === type) {
        run++;
        index++;
      }
      groups.push(...unsigned(run), type);
      count++;
    }
    const body = [...unsigned(count), ...groups, ...this.code, 0x0b];
    return [...unsigned(body.length), ...body];
  }
}

const section = (id: number, contents: number[]): number[] => [id, ...unsigned(contents.length), ...contents];
const vector = (items: number[][]): number[] => [...unsigned(items.length), ...items.flat()];
const name = (text: string): number[] => [...unsigned(text.length), ...Array.from(text, (char) => char.charCodeAt(0))];

/**
 * A module with a memory of `pages` 64 KiB pages exported as "memory" and one function of `paramCount`
 * i32 parameters and no result exported as `functionName`.
 */
export function moduleBytes(options: { pages: number; functionName: string; paramCount: number; body: FunctionBuilder }): Uint8Array {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...unsigned(options.paramCount), ...new Array<number>(options.paramCount).fill(I32), 0]])),
    ...section(3, vector([unsigned(0)])),
    ...section(5, vector([[0x00, ...unsigned(options.pages)]])),
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name(options.functionName), 0x00, 0]])),
    ...section(10, vector([options.body.encode()])),
  ];
  return Uint8Array.from(bytes);
}
