/**
 * Chromium's command line for checks, in one place. Each switch says why it is there.
 * Playwright adds its own defaults (no first-run, no default-browser check, headless ...);
 * these come on top.
 */

/** Switches for every Chromium the browser prober launches. */
export function chromiumArgs(): string[] {
  return [
    // The crawler runs as root in a container, where Chromium's sandbox cannot start.
    '--no-sandbox',
    '--disable-gpu',
    // QUIC is UDP: it would not go through the HTTP egress proxy.
    '--disable-quic',
    // WebRTC may send UDP (STUN) directly; only proxied (TCP, through our proxy) is allowed.
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
    // Chromium itself resolves no name: the egress proxy does (with our resolver and
    // policy). Anything that would be resolved inside the browser fails as not found.
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    // No traffic of the browser's own: updates, sync, safe browsing, metrics, pings.
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--no-pings',
    '--metrics-recording-only',
    '--disable-breakpad',
    '--disable-crash-reporter',
    // Nothing cached on disk (contexts are in-memory anyway; this covers the profile's cache).
    '--disk-cache-size=0',
    '--media-cache-size=0',
    // No --disable-features / --enable-features here: Chromium keeps only the last of each,
    // and Playwright's own lists (which switch off start-up requests: network time,
    // optimization hints, search preconnect) must stay in force.
    '--mute-audio',
  ];
}
