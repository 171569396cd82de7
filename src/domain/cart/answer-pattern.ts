/**
 * Custom-response patterns (§3.5): Python `re.match` semantics (anchored at the start only), run on a
 * linear-time engine. A backtracking engine (JS RegExp) lets one operator pattern such as
 * `([a-zA-Z]+ ?)*$` and one buyer's 30-character answer block the whole process for seconds (ReDoS).
 *
 * - Matching uses RE2 (re2js, a pure-JS port: no native build) through its DFA (no capture groups): time
 *   grows linearly with the answer, at most ~ program size × answer length steps.
 * - Both factors are bounded: answers longer than MAX_ANSWER_LENGTH never match (checked before the
 *   engine runs), and patterns are at most MAX_PATTERN_LENGTH characters and MAX_PROGRAM_SIZE RE2
 *   instructions (huge counted repetitions such as `(.*a){100}`). Together these keep one answer's match
 *   well under 50 ms of event-loop time.
 * - A pattern must also compile as a JS RegExp with the `u` flag: the buyers' frontend checks answers
 *   with the same published pattern. So backreferences and lookaround (not in RE2) and `(?P<name>…)`
 *   (not in JS) are refused when the operator saves the pattern; a stored pattern that breaks a rule never
 *   matches (the operator sees why when editing it).
 */
import { RE2JS } from 're2js';

export const MAX_ANSWER_LENGTH = 1000;
export const MAX_PATTERN_LENGTH = 500;
export const MAX_PROGRAM_SIZE = 250;

type Compiled = { re: RE2JS } | { error: string };
const cache = new Map<string, Compiled>();

function compile(pattern: string): Compiled {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let out: Compiled;
  if (pattern.length > MAX_PATTERN_LENGTH) out = { error: `패턴은 ${MAX_PATTERN_LENGTH}자 이하여야 합니다.` };
  else {
    try {
      // The bare pattern must compile too: `a)|(b` would otherwise escape the anchored group.
      new RegExp(pattern, 'u');
      new RegExp('^(?:' + pattern + ')', 'u');
      const re = RE2JS.compile('^(?:' + pattern + ')');
      out = re.programSize() > MAX_PROGRAM_SIZE ? { error: `패턴이 너무 복잡합니다 (반복 횟수를 줄여주세요).` } : { re };
    } catch (e) {
      out = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, out);
  return out;
}

/** null when the pattern is usable (empty / null = no check), else why not (for the operator). */
export function answerPatternProblem(pattern: string | null | undefined): string | null {
  if (!pattern) return null;
  const c = compile(pattern);
  return 'error' in c ? c.error : null;
}

/**
 * `re.match(pattern, answer or "")`: true when the pattern is empty/absent (no check) or matches at the start
 * of the answer (not necessarily the whole answer). An unusable pattern or an over-long answer never matches.
 */
export function matchesAnswerPattern(pattern: string | null | undefined, answer: string | null | undefined): boolean {
  if (!pattern) return true;
  const value = answer ?? '';
  if (value.length > MAX_ANSWER_LENGTH) return false;
  const c = compile(pattern);
  // `test` asks for no capture groups: RE2's DFA runs (the capturing NFA is ~100× slower); `^` anchors it
  return 're' in c && c.re.test(value);
}
