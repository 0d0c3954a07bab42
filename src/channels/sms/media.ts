/** Fetches an MMS attachment from Twilio (its media URLs answer only to the account's credentials). */
export function twilioMediaFetcher(accountSid: string, authToken: string, timeoutMs = 15_000) {
  const auth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  return async (url: string): Promise<{ data: Uint8Array; contentType: string }> => {
    const res = await fetch(url, { headers: { Authorization: auth }, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`media fetch answered ${res.status}`);
    return { data: new Uint8Array(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
  };
}
