import { shownName, unknownCheckBody, unknownGroupBody } from './health-response';

describe('names from the request in 404 answers', () => {
  it('shows a name that could be a name as it is', () => {
    expect(unknownGroupBody('nope').message).toBe('No health group is named "nope".');
    expect(unknownCheckBody('readiness', 'db.primary_1-a').message).toBe(
      'No health check named "db.primary_1-a" in group "readiness".',
    );
  });

  it('percent-encodes anything else, so that markup never comes back raw', () => {
    const { message } = unknownGroupBody('"><img src=x onerror=alert(1)>');

    expect(message).toBe(
      'No health group is named "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E".',
    );
    expect(message).not.toMatch(/[<>]/);
  });

  it('cuts a long name to 64 characters', () => {
    expect(shownName('a'.repeat(63))).toBe('a'.repeat(63));
    expect(shownName('é'.repeat(100))).toHaveLength(64);
    expect(shownName('é'.repeat(100)).endsWith('…')).toBe(true);
  });

  it('survives a lone surrogate', () => {
    expect(shownName('\ud800')).toBe('(unreadable)');
  });
});
