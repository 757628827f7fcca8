/**
 * Full-text search shared by the backends that have no search engine of their own. It tokenizes
 * and ranks as SQLite's FTS5 does with `unicode61 remove_diacritics 2` and `bm25()`, so a query
 * finds and orders the same messages on every backend.
 */

// Letters, digits, combining marks and private-use characters make words; everything else
// (spaces, punctuation, symbols) separates them, as in FTS5's unicode61 tokenizer.
const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const MARKS = /\p{M}/gu;

/** FTS5's bm25() defaults. */
const K1 = 1.2;
const B = 0.75;

/** The words of `text`: lower case, accents removed, in order, duplicates kept. */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  for (const [word] of text.matchAll(WORD)) {
    const folded = word.toLowerCase().normalize('NFD').replace(MARKS, '').normalize('NFC');
    if (folded !== '') {
      terms.push(folded);
    }
  }
  return terms;
}

/**
 * An FTS5 MATCH expression requiring every term. Each term is a quoted string, so operators,
 * column filters, prefixes and parentheses in user input are plain text.
 */
export function ftsMatchExpression(terms: readonly string[]): string {
  return terms.map((term) => `"${term.replace(/"/g, '""')}"`).join(' ');
}

/** A searchable document: the words of one message. */
export interface SearchDocument {
  terms: readonly string[];
}

/**
 * BM25 scores (higher is better, as `-bm25()` in FTS5) of the documents containing every term.
 * `corpus` is every stored document, which sets the term weights and the average length;
 * `candidates` are the documents that may be returned. Returns `[candidate index, score]` pairs
 * in candidate order.
 */
export function bm25Scores(
  terms: readonly string[],
  corpus: readonly SearchDocument[],
  candidates: readonly SearchDocument[],
): Array<[number, number]> {
  if (terms.length === 0 || corpus.length === 0) {
    return [];
  }
  let totalLength = 0;
  const documentFrequency = new Map<string, number>(terms.map((term) => [term, 0]));
  for (const document of corpus) {
    totalLength += document.terms.length;
    for (const term of new Set(document.terms)) {
      const count = documentFrequency.get(term);
      if (count !== undefined) {
        documentFrequency.set(term, count + 1);
      }
    }
  }
  const rows = corpus.length;
  const averageLength = totalLength / rows;
  const weights = terms.map((term) => {
    const hits = documentFrequency.get(term)!;
    const idf = Math.log((rows - hits + 0.5) / (hits + 0.5));
    return idf <= 0 ? 1e-6 : idf;
  });

  const scores: Array<[number, number]> = [];
  candidates.forEach((document, index) => {
    const frequency = new Map<string, number>();
    for (const term of document.terms) {
      frequency.set(term, (frequency.get(term) ?? 0) + 1);
    }
    let score = 0;
    for (let position = 0; position < terms.length; position += 1) {
      const hits = frequency.get(terms[position]);
      if (!hits) {
        return;
      }
      score +=
        (weights[position] * (hits * (K1 + 1))) /
        (hits + K1 * (1 - B + (B * document.terms.length) / averageLength));
    }
    scores.push([index, score]);
  });
  return scores;
}
