// Sample values of the official `openai` SDK's request and item types, built from its type
// declarations with the TypeScript compiler: every property of every object type filled in,
// every member of every union taken by some sample. The SDK (which nobody here wrote) is then
// the judge of whether Cloister's body shapes know every field the API has, and which of them
// name upstream objects.
import ts from 'typescript';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_DEPTH = 14;

/** A value that reads like no upstream id, so only declared reference fields can be references. */
export const SAMPLE_STRING = 'sample';

/** Builds `count` samples of each named SDK type (`R.` responses, `C.` chat, `CC.` conversations, `CI.` items, `E.` embeddings). */
export function sdkSamples(typeNames: readonly string[], count: number): Map<string, unknown[]> {
  const file = `${ROOT}__sdk_samples__.ts`;
  const source = [
    "import type * as R from 'openai/resources/responses/responses';",
    "import type * as C from 'openai/resources/chat/completions/completions';",
    "import type * as CC from 'openai/resources/conversations/conversations';",
    "import type * as CI from 'openai/resources/conversations/items';",
    "import type * as E from 'openai/resources/embeddings';",
    ...typeNames.map((t, i) => `export type T${i} = ${t};`),
  ].join('\n');
  const options: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true, skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language) => (name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const aliases = program.getSourceFile(file)!.statements.filter(ts.isTypeAliasDeclaration);

  const isNullish = (t: ts.Type) => (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)) !== 0;
  const isStringy = (t: ts.Type): boolean =>
    (t.flags & ts.TypeFlags.String) !== 0 || (t.isIntersection() && t.types.some((m) => (m.flags & ts.TypeFlags.String) !== 0));

  // Each union takes its members in turn, wherever it occurs: over enough samples every member
  // of every union reached is taken.
  const turns = new Map<ts.Type, number>();
  const nextOf = <T>(union: ts.Type, members: readonly T[]): T => {
    const turn = turns.get(union) ?? 0;
    turns.set(union, turn + 1);
    return members[turn % members.length]!;
  };

  /** One value of `type` (an array of a union of object types takes them all). */
  function sample(type: ts.Type, depth: number): unknown {
    if (depth > MAX_DEPTH) return null;
    if (type.isUnion()) {
      const members = type.types.filter((m) => !isNullish(m));
      const literals = members.filter((m) => m.isStringLiteral());
      // A union of string literals (and perhaps `string & {}`): a known literal.
      if (literals.length > 0 && members.every((m) => m.isStringLiteral() || isStringy(m))) return (nextOf(type, literals) as ts.StringLiteralType).value;
      if (members.every((m) => (m.flags & ts.TypeFlags.BooleanLiteral) !== 0)) return true;
      return sample(nextOf(type, members), depth);
    }
    if (type.isStringLiteral()) return type.value;
    if (type.isNumberLiteral()) return type.value;
    if ((type.flags & ts.TypeFlags.BooleanLiteral) !== 0) return true;
    if (isStringy(type)) return SAMPLE_STRING;
    if ((type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) !== 0) return 1;
    if ((type.flags & (ts.TypeFlags.Boolean)) !== 0) return true;
    if ((type.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) !== 0) return { sample_key: SAMPLE_STRING };
    if (checker.isArrayType(type)) {
      const element = checker.getTypeArguments(type as ts.TypeReference)[0]!;
      const members = element.isUnion() ? element.types.filter((m) => !isNullish(m) && (m.flags & ts.TypeFlags.Object) !== 0) : [];
      // An array of a union of object types holds one of each.
      if (members.length > 1) return members.map((m) => sample(m, depth + 1));
      return [sample(element, depth + 1)];
    }
    const out: Record<string, unknown> = {};
    const properties = checker.getPropertiesOfType(type);
    for (const index of checker.getIndexInfosOfType(type)) if (properties.length === 0) out.sample_key = sample(index.type, depth + 1);
    for (const p of properties) out[p.name] = sample(checker.getTypeOfSymbol(p), depth + 1);
    return out;
  }

  const result = new Map<string, unknown[]>();
  typeNames.forEach((name, i) => {
    const type = checker.getTypeAtLocation(aliases[i]!.name);
    result.set(name, Array.from({ length: count }, () => sample(type, 0)));
  });
  return result;
}

/** `input[3].content[0].file_id` → `input[].content[].file_id`: a field's place, whatever the indexes. */
export function fieldOf(param: string): string {
  return param.replace(/\[\d+\]/g, '[]');
}
