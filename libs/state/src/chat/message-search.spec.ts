import { bm25Scores, ftsMatchExpression, searchTerms } from './message-search';

describe('searchTerms', () => {
  it.each([
    ['The quick, brown FOX!', ['the', 'quick', 'brown', 'fox']],
    ['café naïve RÉSUMÉ', ['cafe', 'naive', 'resume']],
    ['cafe\u0301', ['cafe']],
    ['c_d x$y p€q e😀f a✓b', ['c', 'd', 'x', 'y', 'p', 'q', 'e', 'f', 'a', 'b']],
    ["O'Brien 3.14 minus-sign", ['o', 'brien', '3', '14', 'minus', 'sign']],
    ['日本語テキスト', ['日本語テキスト']],
    ['Straße İstanbul', ['straße', 'istanbul']],
    ['"AND" OR NEAR(x) col:y *', ['and', 'or', 'near', 'x', 'col', 'y']],
    ['  !!! ... ', []],
  ])('splits %j into %j', (text, terms) => {
    expect(searchTerms(text)).toEqual(terms);
  });
});

describe('ftsMatchExpression', () => {
  it('quotes every term', () => {
    expect(ftsMatchExpression(['near', 'and'])).toBe('"near" "and"');
    expect(ftsMatchExpression(['a"b'])).toBe('"a""b"');
  });
});

describe('bm25Scores', () => {
  const doc = (text: string) => ({ terms: searchTerms(text) });

  it('scores only the documents holding every term, more and denser hits higher', () => {
    const corpus = [
      doc('needle needle needle'),
      doc('a needle in a haystack'),
      doc('a long document that mentions the needle only once among many words'),
      doc('nothing here'),
      doc('hay'),
    ];
    const scores = new Map(bm25Scores(['needle'], corpus, corpus));
    expect([...scores.keys()]).toEqual([0, 1, 2]);
    expect(scores.get(0)!).toBeGreaterThan(scores.get(1)!);
    expect(scores.get(1)!).toBeGreaterThan(scores.get(2)!);
    expect(bm25Scores(['needle', 'hay'], corpus, corpus)).toEqual([]);
    expect(bm25Scores([], corpus, corpus)).toEqual([]);
  });

  it('weighs rare terms above common ones, as FTS5 does', () => {
    const corpus = [doc('common rare'), doc('common'), doc('common'), doc('common'), doc('x')];
    const [[, rareScore]] = bm25Scores(['rare'], corpus, corpus.slice(0, 1));
    const [[, commonScore]] = bm25Scores(['common'], corpus, corpus.slice(0, 1));
    expect(rareScore).toBeGreaterThan(commonScore);
  });
});
