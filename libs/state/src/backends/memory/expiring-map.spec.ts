import { ExpiringMap } from './expiring-map';

describe('ExpiringMap', () => {
  it('hides expired entries from every read and frees them on sweep', () => {
    const evicted: string[] = [];
    const map = new ExpiringMap<{ expiresAt: number }>((key) => evicted.push(key));
    map.set('old', { expiresAt: 1_000 });
    map.set('new', { expiresAt: 5_000 });

    expect(map.get('old', 999)).toEqual({ expiresAt: 1_000 });
    expect(map.countLive(1_000)).toBe(1);
    expect([...map.entriesLive(1_000)].map(([key]) => key)).toEqual(['new']);
    expect(map.sweep(1_000)).toBe(1);
    expect(evicted).toEqual(['old']);
    expect(map.get('old', 0)).toBeUndefined();
    expect(map.delete('new', 6_000)).toBe(false);
    expect(evicted).toEqual(['old', 'new']);
  });
});
