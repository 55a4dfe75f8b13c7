import { expect } from 'chai';
import { utcDay, utcMonthStart, msUntilNextDay, msUntilNextMonth } from '../../../src/limits/periods.ts';

describe('budget periods (UTC)', () => {
  it('agree with the ISO date on every day from 1899 to 2101, at the first or last millisecond', () => {
    // Covers the Gregorian century rules (1900 and 2100 are not leap years, 2000 is) and every
    // month length; alternate days are checked at their last millisecond.
    const start = Date.UTC(1899, 0, 1);
    const end = Date.UTC(2101, 11, 31);
    let checked = 0;
    for (let t = start; t <= end; t += 86_400_000) {
      const instant = checked % 2 === 0 ? t : t + 86_399_999;
      const iso = new Date(instant).toISOString();
      expect(utcDay(new Date(instant))).to.equal(iso.slice(0, 10));
      expect(utcMonthStart(new Date(instant))).to.equal(`${iso.slice(0, 7)}-01`);
      checked++;
    }
    expect(checked).to.equal(74_144); // 203 years, 49 of them leap years
  });

  it('handle instants before 1970 and the leap day', () => {
    expect(utcDay(new Date('1969-12-31T23:59:59.999Z'))).to.equal('1969-12-31');
    expect(utcDay(new Date('2024-02-29T12:00:00Z'))).to.equal('2024-02-29');
    expect(utcMonthStart(new Date('2024-02-29T12:00:00Z'))).to.equal('2024-02-01');
  });

  it('count the time left in the day and the month', () => {
    const now = new Date('2026-01-31T23:00:00Z');
    expect(msUntilNextDay(now)).to.equal(3_600_000);
    expect(msUntilNextMonth(now)).to.equal(3_600_000);
  });
});
