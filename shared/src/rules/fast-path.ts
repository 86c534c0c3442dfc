import type { ASTNode } from '@marcbachmann/cel-js';
import { FEATURE_NAMES } from '../features/names.js';
import type { RuleContext } from './expression.js';

/**
 * A fast evaluator for the part of CEL that rules are mostly made of: comparisons, boolean logic,
 * double arithmetic, string tests and list membership over `tx`, `features`, `score` and `lists`.
 *
 * The library's evaluator costs about a microsecond per rule and payment, and closures per AST node
 * still ten times a plain function, which fifty rules turn into more than the rest of the detector's
 * work. So the library's type-checked AST is translated into one JavaScript function per rule. What goes
 * into its source is fixed syntax, declared field names, feature indexes, and literals written by
 * JSON.stringify / String (never expression text), so nothing a rule author writes becomes code.
 * An expression with anything else (int arithmetic, macros, other functions, string ordering) is left to
 * the library. A property test holds the two to the same results, errors included: CEL's `&&` and `||`
 * absorb an error when the other side decides.
 */

type FastType = 'double' | 'int' | 'string' | 'bool' | 'list';

interface Generated {
  type: FastType;
  code: string;
  /** Whether evaluating it can throw (a list that does not exist): `&&` and `||` must then absorb. */
  mayThrow: boolean;
}

/** The field types of `tx` (RuleTransaction), by name. */
export type TransactionFieldTypes = Readonly<Record<string, 'string' | 'double' | 'int'>>;

const featureIndex = new Map(FEATURE_NAMES.map((name, index) => [name, index]));
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const numeric = (type: FastType): boolean => type === 'double' || type === 'int';

/** Membership sets, one per list array (a list event replaces its array, so its set is rebuilt). */
const listSets = new WeakMap<readonly string[], Set<string>>();
function setOf(list: readonly string[]): Set<string> {
  let set = listSets.get(list);
  if (!set) {
    set = new Set(list);
    listSets.set(list, set);
  }
  return set;
}

function listNamed(context: RuleContext, name: string): readonly string[] {
  const list = context.lists.get(name);
  if (list === undefined) throw new Error(`No such key: ${name}`);
  return list;
}

/** `a && b` (decisive = false) or `a || b` (decisive = true) where a side may throw. */
function absorbing(decisive: boolean, left: () => boolean, right: () => boolean): boolean {
  let leftError: unknown;
  try {
    if (left() === decisive) return decisive;
  } catch (err) {
    leftError = err;
  }
  if (right() === decisive) return decisive;
  if (leftError !== undefined) throw leftError;
  return !decisive;
}

function literal(value: unknown): Generated | undefined {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      return { type: 'double', code: Object.is(value, -0) ? '(-0)' : `(${String(value)})`, mayThrow: false };
    case 'bigint':
      return { type: 'int', code: `(${String(value)}n)`, mayThrow: false };
    case 'string':
      return { type: 'string', code: JSON.stringify(value), mayThrow: false };
    case 'boolean':
      return { type: 'bool', code: String(value), mayThrow: false };
    default:
      return undefined;
  }
}

const RELATIONAL = new Set(['<', '<=', '>', '>=']);
const ARITHMETIC = new Set(['+', '-', '*', '/']);
const STRING_TESTS: Readonly<Record<string, string>> = { startsWith: 'startsWith', endsWith: 'endsWith', contains: 'includes' };

function binary(op: string, left: Generated, right: Generated): Generated | undefined {
  const mayThrow = left.mayThrow || right.mayThrow;
  if (op === '==' || op === '!=') {
    // The checker refuses equality across types (double == int has no overload), so both sides agree.
    if (left.type !== right.type || left.type === 'list') return undefined;
    return { type: 'bool', code: `(${left.code} ${op === '==' ? '===' : '!=='} ${right.code})`, mayThrow };
  }
  if (RELATIONAL.has(op)) {
    if (!numeric(left.type) || !numeric(right.type)) return undefined; // strings order by code point in CEL
    return { type: 'bool', code: `(${left.code} ${op} ${right.code})`, mayThrow };
  }
  if (ARITHMETIC.has(op)) {
    if (left.type !== 'double' || right.type !== 'double') return undefined; // int arithmetic can overflow: the library's
    return { type: 'double', code: `(${left.code} ${op} ${right.code})`, mayThrow };
  }
  return undefined;
}

function generate(node: ASTNode, fields: TransactionFieldTypes): Generated | undefined {
  const sub = (child: ASTNode): Generated | undefined => generate(child, fields);
  switch (node.op) {
    case 'value':
      return literal(node.args);
    case 'id':
      return node.args === 'score' ? { type: 'double', code: 'c.score', mayThrow: false } : undefined;
    case '.': {
      const [target, field] = node.args;
      if (target.op !== 'id') return undefined;
      if (target.args === 'tx') {
        const type = Object.hasOwn(fields, field) ? fields[field] : undefined;
        return type && IDENTIFIER.test(field) ? { type, code: `c.tx.${field}`, mayThrow: false } : undefined;
      }
      const index = target.args === 'features' ? featureIndex.get(field) : undefined;
      return index === undefined ? undefined : { type: 'double', code: `c.features.values[${index}]`, mayThrow: false };
    }
    case '[]': {
      const [target, key] = node.args;
      const name = sub(key);
      if (target.op !== 'id' || target.args !== 'lists' || name?.type !== 'string') return undefined;
      return { type: 'list', code: `listNamed(c, ${name.code})`, mayThrow: true };
    }
    case 'in': {
      const [element, list] = [sub(node.args[0]), sub(node.args[1])];
      if (element?.type !== 'string' || list?.type !== 'list') return undefined;
      return { type: 'bool', code: `setOf(${list.code}).has(${element.code})`, mayThrow: element.mayThrow || list.mayThrow };
    }
    case '!_': {
      const operand = sub(node.args);
      return operand?.type === 'bool' ? { ...operand, code: `(!${operand.code})` } : undefined;
    }
    case '-_': {
      const operand = sub(node.args);
      return operand?.type === 'double' ? { ...operand, code: `(-${operand.code})` } : undefined;
    }
    case '&&':
    case '||': {
      const [left, right] = [sub(node.args[0]), sub(node.args[1])];
      if (left?.type !== 'bool' || right?.type !== 'bool') return undefined;
      if (!left.mayThrow && !right.mayThrow) return { type: 'bool', code: `(${left.code} ${node.op} ${right.code})`, mayThrow: false };
      return { type: 'bool', code: `absorbing(${node.op === '||'}, () => ${left.code}, () => ${right.code})`, mayThrow: true };
    }
    case '?:': {
      const [condition, then, otherwise] = [sub(node.args[0]), sub(node.args[1]), sub(node.args[2])];
      if (condition?.type !== 'bool' || !then || !otherwise || then.type !== otherwise.type) return undefined;
      return {
        type: then.type,
        code: `(${condition.code} ? ${then.code} : ${otherwise.code})`,
        mayThrow: condition.mayThrow || then.mayThrow || otherwise.mayThrow,
      };
    }
    case 'rcall': {
      const [method, receiver, args] = node.args;
      const target = sub(receiver);
      const arg = args.length === 1 && args[0] ? sub(args[0]) : undefined;
      const jsMethod = Object.hasOwn(STRING_TESTS, method) ? STRING_TESTS[method] : undefined;
      if (!jsMethod || target?.type !== 'string' || arg?.type !== 'string') return undefined;
      return { type: 'bool', code: `${target.code}.${jsMethod}(${arg.code})`, mayThrow: target.mayThrow || arg.mayThrow };
    }
    default: {
      if (!Array.isArray(node.args) || node.args.length !== 2) return undefined;
      const [left, right] = node.args as [ASTNode, ASTNode];
      const l = sub(left);
      const r = sub(right);
      return l && r ? binary(node.op, l, r) : undefined;
    }
  }
}

/** The fast evaluator of a type-checked bool expression, or undefined when the library must run it. */
export function fastPath(ast: ASTNode, fields: TransactionFieldTypes): ((context: RuleContext) => boolean) | undefined {
  const generated = generate(ast, fields);
  if (generated?.type !== 'bool') return undefined;
  // The source holds no rule text (see above).
  const build = new Function('listNamed', 'setOf', 'absorbing', `return (c) => ${generated.code} === true;`) as (
    ...helpers: [typeof listNamed, typeof setOf, typeof absorbing]
  ) => (context: RuleContext) => boolean;
  return build(listNamed, setOf, absorbing);
}
