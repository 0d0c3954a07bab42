import { describe, expect, it } from 'vitest';
import { canMove, isFinal, statusesBefore } from '../../../src/domain/delivery-status.js';
import { DELIVERY_STATUSES } from '../../../src/domain/types.js';

describe('delivery statuses only move forward', () => {
  it('lets a sent SMS become delivered or failed, and nothing undo a delivery', () => {
    expect(canMove('sent', 'delivered')).toBe(true);
    expect(canMove('sent', 'failed')).toBe(true);
    expect(canMove('delivered', 'failed')).toBe(false);
    expect(canMove('delivered', 'sent')).toBe(false);
    expect(canMove('failed', 'delivered')).toBe(false);
  });

  it('never sends what was withheld or answered, even after START', () => {
    for (const to of DELIVERY_STATUSES) {
      expect(canMove('withheld', to), to).toBe(false);
      expect(canMove('consumed', to), to).toBe(false);
    }
    expect(canMove('pending', 'withheld')).toBe(true);
    expect(canMove('sending', 'withheld')).toBe(true);
    expect(canMove('sent', 'withheld')).toBe(false);
  });

  it('keeps the outbox moves: claim, take over, give back, send', () => {
    expect(statusesBefore('sending').sort()).toEqual(['pending', 'sending']);
    expect(statusesBefore('pending').sort()).toEqual(['held', 'sending']);
    expect(statusesBefore('sent')).toEqual(['sending']);
    expect(statusesBefore('delivered')).toEqual(['sent']);
  });

  it('knows the end of a journey', () => {
    expect(DELIVERY_STATUSES.filter(isFinal).sort()).toEqual(['consumed', 'delivered', 'failed', 'withheld']);
  });
});
