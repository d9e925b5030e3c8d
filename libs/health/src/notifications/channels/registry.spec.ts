import { NOTIFICATION_CHANNEL_TYPES } from '.';

describe('NOTIFICATION_CHANNEL_TYPES', () => {
  it('registers each channel type under its own type value', () => {
    for (const [key, channelType] of Object.entries(NOTIFICATION_CHANNEL_TYPES)) {
      expect(channelType.type).toBe(key);
    }
    expect(Object.keys(NOTIFICATION_CHANNEL_TYPES)).toEqual(
      expect.arrayContaining(['slack', 'discord', 'teams', 'ntfy', 'email']),
    );
  });
});
