// IndexedDB: every recorded chunk lands here before any upload is tried, so a
// lost connection, a reload or a browser crash loses nothing already recorded.
// Chunks stay until the server has assembled the recording ("finish" succeeded).

const DB_NAME = "avt-notes";
const DB_VERSION = 1;
let dbPromise = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        const chunks = db.createObjectStore("chunks", { keyPath: ["sessionId", "seq"] });
        chunks.createIndex("bySession", "sessionId");
        db.createObjectStore("recordings", { keyPath: "sessionId" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

async function tx(stores, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(stores, mode, { durability: "strict" });
    let result;
    Promise.resolve(work(t)).then((value) => { result = value; }, reject);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("storage transaction aborted"));
  });
}

export function putChunk(chunk) {
  return tx(["chunks"], "readwrite", (t) => request(t.objectStore("chunks").put(chunk)));
}

export function chunksOf(sessionId) {
  return tx(["chunks"], "readonly", async (t) => {
    const all = await request(t.objectStore("chunks").index("bySession").getAll(sessionId));
    return all.sort((a, b) => a.seq - b.seq);
  });
}

export async function pendingChunks(sessionId) {
  return (await chunksOf(sessionId)).filter((c) => !c.uploaded);
}

export function markUploaded(sessionId, seq, uploaded = true) {
  return tx(["chunks"], "readwrite", async (t) => {
    const store = t.objectStore("chunks");
    const chunk = await request(store.get([sessionId, seq]));
    if (chunk) {
      chunk.uploaded = uploaded;
      await request(store.put(chunk));
    }
  });
}

export function getRecording(sessionId) {
  return tx(["recordings"], "readonly", (t) => request(t.objectStore("recordings").get(sessionId)));
}

export function putRecording(meta) {
  return tx(["recordings"], "readwrite", (t) => request(t.objectStore("recordings").put(meta)));
}

export function listRecordings() {
  return tx(["recordings"], "readonly", (t) => request(t.objectStore("recordings").getAll()));
}

export function forget(sessionId) {
  return tx(["chunks", "recordings"], "readwrite", async (t) => {
    const keys = await request(t.objectStore("chunks").index("bySession").getAllKeys(sessionId));
    for (const key of keys) t.objectStore("chunks").delete(key);
    t.objectStore("recordings").delete(sessionId);
  });
}
