/**
 * The keygrip of a public key, computed as libgcrypt computes it (gcry_pk_get_keygrip, fed the
 * S-expression gpg builds in keyid.c keygrip_from_pk): gpg-agent names each secret key file
 * `private-keys-v1.d/<keygrip>.key`, so a key's keygrip tells whether we hold its secret without
 * asking gpg. Only the algorithms and curves whose keygrips were checked against gpg 2.2 are
 * computed; any other gives undefined ("cannot tell"), never a guess.
 */
import { createHash } from "node:crypto";

const RSA = [1, 2, 3];
const ELGAMAL = [16, 20];
const DSA = 17;
const ECDH = 18;
const ECDSA = 19;
const EDDSA = 22;

/**
 * libgcrypt's domain parameters (cipher/ecc-curves.c) of the curves OpenPGP keys use, keyed by
 * the hex of the curve OID in the key packet. Each is in the form libgcrypt hashes it: the
 * number's unsigned big-endian bytes without leading zeros (a = 0 is empty), and the base point
 * as 04 || x || y with x and y as written in that table.
 */
const CURVES: Record<
  string,
  { name: string; p: string; a: string; b: string; g: string; n: string }
> = {
  "2b06010401da470f01": {
    name: "Ed25519",
    p: "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed",
    a: "01",
    b: "2dfc9311d490018c7338bf8688861767ff8ff5b2bebe27548a14b235eca6874a",
    g: "04216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d5" +
      "1a66666666666666666666666666666666666666666666666666666666666666" +
      "58",
    n: "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed",
  },
  "2b060104019755010501": {
    name: "Curve25519",
    p: "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed",
    a: "01db41",
    b: "01",
    g: "0400000000000000000000000000000000000000000000000000000000000000" +
      "0920ae19a1b8a086b4e01edd2c7748d14c923d4d7e6d7c61b229e9c5a27eced3" +
      "d9",
    n: "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed",
  },
  "2a8648ce3d030107": {
    name: "NIST P-256",
    p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    a: "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
    b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
    g: "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2" +
      "964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51" +
      "f5",
    n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
  },
  "2b81040022": {
    name: "NIST P-384",
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe" +
      "ffffffff0000000000000000ffffffff",
    a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe" +
      "ffffffff0000000000000000fffffffc",
    b: "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a" +
      "c656398d8a2ed19d2a85c8edd3ec2aef",
    g: "04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a" +
      "385502f25dbf55296c3a545e3872760ab73617de4a96262c6f5d9e98bf9292dc" +
      "29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e" +
      "5f",
    n: "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf" +
      "581a0db248b0a77aecec196accc52973",
  },
  "2b81040023": {
    name: "NIST P-521",
    p: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
      "ffff",
    a: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
      "fffc",
    b: "51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109" +
      "e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f" +
      "00",
    g: "0400c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b" +
      "4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2" +
      "e5bd66011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd" +
      "17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94" +
      "769fd16650",
    n: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
      "fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e9138" +
      "6409",
  },
  "2b2403030208010107": {
    name: "brainpoolP256r1",
    p: "a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377",
    a: "7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9",
    b: "26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6",
    g: "048bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace32" +
      "62547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f0469" +
      "97",
    n: "a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7",
  },
  "2b240303020801010b": {
    name: "brainpoolP384r1",
    p: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123" +
      "acd3a729901d1a71874700133107ec53",
    a: "7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f" +
      "8aa5814a503ad4eb04a8c7dd22ce2826",
    b: "04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d5" +
      "7cb4390295dbc9943ab78696fa504c11",
    g: "041d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10" +
      "e8e826e03436d646aaef87b2e247d4af1e8abe1d7520f9c2a45cb1eb8e95cfd5" +
      "5262b70b29feec5864e19c054ff99129280e4646217791811142820341263c53" +
      "15",
    n: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7" +
      "cf3ab6af6b7fc3103b883202e9046565",
  },
  "2b240303020801010d": {
    name: "brainpoolP512r1",
    p: "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330871" +
      "7d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3",
    a: "7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc" +
      "2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94ca",
    b: "3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a7" +
      "2bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723",
    g: "0481aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d009" +
      "8eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f8" +
      "227dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f81" +
      "11b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad808" +
      "92",
    n: "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870" +
      "553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069",
  },
  "2b8104000a": {
    name: "secp256k1",
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
    a: "",
    b: "07",
    g: "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f817" +
      "98483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4" +
      "b8",
    n: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
  },
};

/** Curves keyz hashes differently: Ed25519 (compact point) and Curve25519 (djb-tweak). */
const ED25519 = "2b06010401da470f01";
const CURVE25519 = "2b060104019755010501";

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** An OpenPGP MPI at `pos`: its magnitude bytes, or undefined if it runs past the data. */
function mpiAt(buf: Uint8Array, pos: number): { bytes: Uint8Array; next: number } | undefined {
  if (pos + 2 > buf.length) return undefined;
  const n = ((buf[pos] << 8) + buf[pos + 1] + 7) >> 3;
  if (pos + 2 + n > buf.length) return undefined;
  return { bytes: buf.subarray(pos + 2, pos + 2 + n), next: pos + 2 + n };
}

/** The MPIs `count` of them from `pos`, or undefined. */
function mpis(buf: Uint8Array, pos: number, count: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const m = mpiAt(buf, pos);
    if (!m) return undefined;
    out.push(m.bytes);
    pos = m.next;
  }
  return out;
}

/**
 * A number as gcry_sexp_build's `%m` writes it (GCRYMPI_FMT_STD): leading zero bytes dropped,
 * then one zero byte put back when the top bit is set, so the number reads as positive.
 */
function std(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  if (v.length === 0 || v[0] < 0x80) return v;
  const out = new Uint8Array(v.length + 1);
  out.set(v, 1);
  return out;
}

const encoder = new TextEncoder();

/** SHA-1 over `(1:<name><len>:<bytes>)` for each named parameter, libgcrypt's generic grip. */
function gripOfParams(params: [string, Uint8Array][]): string {
  const h = createHash("sha1");
  for (const [name, bytes] of params) {
    h.update(encoder.encode(`(1:${name}${bytes.length}:`)).update(bytes).update(
      encoder.encode(")"),
    );
  }
  return h.digest("hex").toUpperCase();
}

/**
 * The keygrip of a key from its algorithm id and its public key material (the packet body after
 * the algorithm octet), or undefined if keyz does not know how to compute it.
 */
export function keygripOf(algo: number, material: Uint8Array): string | undefined {
  if (RSA.includes(algo)) {
    const m = mpis(material, 0, 1);
    if (!m || m[0].length === 0) return undefined;
    // libgcrypt's rsa.c hashes only the bytes of n (no S-expression framing).
    return createHash("sha1").update(std(m[0])).digest("hex").toUpperCase();
  }
  if (ELGAMAL.includes(algo)) {
    const m = mpis(material, 0, 3);
    if (!m) return undefined;
    return gripOfParams([["p", std(m[0])], ["g", std(m[1])], ["y", std(m[2])]]);
  }
  if (algo === DSA) {
    const m = mpis(material, 0, 4);
    if (!m) return undefined;
    return gripOfParams([["p", std(m[0])], ["q", std(m[1])], ["g", std(m[2])], ["y", std(m[3])]]);
  }
  if (algo === ECDH || algo === ECDSA || algo === EDDSA) return eccGrip(algo, material);
  return undefined;
}

/** libgcrypt ecc.c compute_keygrip: p, a, b, g, n of the named curve, then q. */
function eccGrip(algo: number, material: Uint8Array): string | undefined {
  const oidLen = material[0];
  if (!oidLen || oidLen === 0xff || 1 + oidLen > material.length) return undefined;
  const oid = Array.from(material.subarray(1, 1 + oidLen), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const curve = CURVES[oid];
  const q = mpiAt(material, 1 + oidLen)?.bytes;
  if (!curve || !q || q.length < 2) return undefined;
  let point: Uint8Array;
  if (oid === ED25519) {
    // EdDSA keys are hashed with the compact point: the 0x40 prefix dropped.
    if (algo !== EDDSA || q[0] !== 0x40 || q.length !== 33) return undefined;
    point = q.subarray(1);
  } else if (oid === CURVE25519) {
    // gpg passes (flags djb-tweak) for cv25519, and libgcrypt then drops the 0x40 prefix.
    if (algo !== ECDH || q[0] !== 0x40 || q.length !== 33) return undefined;
    point = q.subarray(1);
  } else {
    // Weierstrass curves: the uncompressed point as it is (compressed ones are not in use).
    if (algo === EDDSA || q[0] !== 0x04) return undefined;
    point = q;
  }
  return gripOfParams([
    ["p", fromHex(curve.p)],
    ["a", fromHex(curve.a)],
    ["b", fromHex(curve.b)],
    ["g", fromHex(curve.g)],
    ["n", fromHex(curve.n)],
    ["q", point],
  ]);
}
