// A three-way merge of two edits of one shared text (the draft's conflict view): what both started
// from (base), my edit and their saved one. Word by word (a section is often one paragraph): where
// only one side changed something, that change is kept; where both changed the same words the same
// way, once; where both changed the same words differently, theirs then mine, for those words alone.
// The shared starting text is never repeated.

const TOKENS = /\s+|[^\s]+/g;

function tokens(text) {
  return String(text || "").match(TOKENS) || [];
}

/** For each index of `a`, the index of `b` it is matched with in a longest common subsequence, or -1. */
function matches(a, b) {
  const n = a.length;
  const m = b.length;
  // Trim the common ends first: edits are usually small, and the table shrinks to the middle.
  let start = 0;
  while (start < n && start < m && a[start] === b[start]) start += 1;
  let endA = n;
  let endB = m;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const map = new Array(n).fill(-1);
  for (let i = 0; i < start; i += 1) map[i] = i;
  for (let i = endA, j = endB; i < n; i += 1, j += 1) map[i] = j;
  const rows = endA - start;
  const cols = endB - start;
  const table = Array.from({ length: rows + 1 }, () => new Uint16Array(cols + 1));
  for (let i = rows - 1; i >= 0; i -= 1) {
    for (let j = cols - 1; j >= 0; j -= 1) {
      table[i][j] = a[start + i] === b[start + j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  for (let i = 0, j = 0; i < rows && j < cols;) {
    if (a[start + i] === b[start + j]) {
      map[start + i] = start + j;
      i += 1;
      j += 1;
    } else if (table[i + 1][j] >= table[i][j + 1]) i += 1;
    else j += 1;
  }
  return map;
}

const same = (x, y) => x.length === y.length && x.every((token, i) => token === y[i]);

/**
 * Merge `mine` and `theirs`, both edited from `base`. Returns {text, clash}: clash is true when both
 * changed the same words differently (theirs were put before mine there).
 */
export function mergeTexts(base, mine, theirs) {
  if (mine === theirs || theirs === base) return { text: mine, clash: false };
  if (mine === base) return { text: theirs, clash: false };
  const o = tokens(base);
  const a = tokens(mine);
  const b = tokens(theirs);
  const ma = matches(o, a);
  const mb = matches(o, b);
  const out = [];
  let clash = false;
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < o.length || j < a.length || k < b.length) {
    if (i < o.length && ma[i] === j && mb[i] === k) {
      out.push(o[i]); // unchanged on both sides
      i += 1;
      j += 1;
      k += 1;
      continue;
    }
    // The next base token both sides kept, after the current position: the end of this chunk.
    let next = i;
    while (next < o.length && !(ma[next] >= j && mb[next] >= k)) next += 1;
    const endA = next < o.length ? ma[next] : a.length;
    const endB = next < o.length ? mb[next] : b.length;
    const chunkO = o.slice(i, next);
    const chunkA = a.slice(j, endA);
    const chunkB = b.slice(k, endB);
    if (same(chunkA, chunkO)) out.push(...chunkB);
    else if (same(chunkB, chunkO) || same(chunkA, chunkB)) out.push(...chunkA);
    else {
      clash = true;
      const theirs = chunkB.join("");
      const mineText = chunkA.join("");
      // Two whole texts (or paragraphs) side by side read best as paragraphs; words within a sentence
      // as words.
      const whole = j === 0 && endA === a.length;
      const gap = whole || /\n/.test(theirs + mineText) ? "\n\n" : " ";
      const joined = theirs && mineText && !/\s$/.test(theirs) && !/^\s/.test(mineText);
      out.push(theirs, joined ? gap : "", mineText);
    }
    i = next;
    j = endA;
    k = endB;
  }
  return { text: out.join(""), clash };
}
