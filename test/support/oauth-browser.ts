// Follows OAuth redirects like a browser would, with a cookie jar per origin, stopping at
// the app's callback. Locations on PUBLIC_URL are sent to the test app's real address.
export interface BrowserStep { status: number; location: string | null; setCookies: string[] }

/** A tiny cookie-keeping redirect follower. */
export class OAuthBrowser {
  readonly jar = new Map<string, Map<string, string>>();
  readonly publicUrl: string;
  readonly appUrl: string;
  constructor(publicUrl: string, appUrl: string) {
    this.publicUrl = publicUrl;
    this.appUrl = appUrl;
  }

  /** sets a cookie for an origin (e.g. a planted one) */
  setCookie(origin: string, pair: string): void {
    const [k, v] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (!this.jar.has(origin)) this.jar.set(origin, new Map());
    this.jar.get(origin)!.set(k, v);
  }

  /** one GET with this origin's cookies; records Set-Cookie */
  async get(url: string): Promise<BrowserStep> {
    const target = url.startsWith(this.publicUrl) ? this.appUrl + url.slice(this.publicUrl.length) : url;
    const origin = url.startsWith(this.publicUrl) ? this.publicUrl : new URL(url).origin;
    const cookies = [...(this.jar.get(origin) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(target, { redirect: 'manual', headers: cookies ? { cookie: cookies } : {} });
    await res.arrayBuffer();
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const pair = c.split(';')[0]!;
      if (/Max-Age=0|expires=Thu, 01 Jan 1970/i.test(c)) this.jar.get(origin)?.delete(pair.slice(0, pair.indexOf('=')));
      else this.setCookie(origin, pair);
    }
    const loc = res.headers.get('location');
    return { status: res.status, location: loc ? new URL(loc, url).href : null, setCookies };
  }

  /** follows redirects from `start` until a URL under `stopPrefix`; returns that URL (not requested) */
  async followUntil(start: string, stopPrefix: string): Promise<string> {
    let url = start;
    for (let i = 0; i < 20; i++) {
      if (url.startsWith(stopPrefix)) return url;
      const step = await this.get(url);
      if (!step.location) throw new Error(`no redirect from ${new URL(url).pathname} (status ${step.status})`);
      url = step.location;
    }
    throw new Error('too many redirects');
  }
}
