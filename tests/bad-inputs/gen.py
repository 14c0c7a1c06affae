#!/usr/bin/env python3
"""Writes the malformed inputs of the bad-input catalogue into DIR (argv[1]).
Inputs are built here at test time from a few good vectors (argv[2] = the
repo's tests/vectors/core) so the repo holds no pile of binary files.
A new format adds a gen_<format>(d, vectors) function and rows in cases.tsv."""
import os
import struct
import subprocess
import sys

ECREATE, EADD, EEXTEND = 0x0045544145524345, 0x44444145, 0x00444E4554584545
UNSIZED, UNMEASRD = 0x0044455a49534e55, 0x44525341454d4e55


def ecreate(size, ssa=1):
    return struct.pack('<QIQ', ECREATE, ssa, size).ljust(64, b'\0')


def unsized(slot, ssa=1):
    return struct.pack('<QIQ', UNSIZED, ssa, slot).ljust(64, b'\0')


def eadd(off, flags=0x203):
    return struct.pack('<QQQ', EADD, off, flags).ljust(64, b'\0')


def eext(off, data=b'\x5a' * 256, tag=EEXTEND):
    return struct.pack('<QQ', tag, off).ljust(64, b'\0') + data


def write(d, name, data):
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def gen_sgxs(d, v):
    good = ecreate(0x4000) + eadd(0) + eext(0) + eext(0x100)
    cases = {
        'empty': b'',
        'short-header': ecreate(0x2000)[:30],
        'trunc-eadd': ecreate(0x2000) + eadd(0)[:40],
        'trunc-eextend-header': ecreate(0x2000) + eadd(0) + eext(0)[:50],
        'trunc-eextend-data': ecreate(0x2000) + eadd(0) + eext(0)[:100],
        'no-ecreate': eadd(0) + eext(0),
        'dup-ecreate': ecreate(0x2000) + ecreate(0x2000),
        'unsized-then-ecreate': unsized(0x1008) + ecreate(0x2000),
        'unknown-tag': ecreate(0x2000) + b'BOGUSTAG'.ljust(64, b'\0'),
        'zero-tag': ecreate(0x2000) + eadd(0) + bytes(64),
        'eextend-no-eadd': ecreate(0x2000) + eext(0),
        'eadd-misaligned': ecreate(0x2000) + eadd(0x10),
        'eextend-misaligned': ecreate(0x2000) + eadd(0) + eext(0x80),
        'eextend-other-page': ecreate(0x2000) + eadd(0) + eext(0x1000),
        'eextend-offset-overflow': ecreate(0x2000) + eadd(0) + eext(0xffffffffffffff00),
        'dup-chunk0': ecreate(0x2000) + eadd(0) + eext(0) + eext(0),
        'dup-chunk1': ecreate(0x2000) + eadd(0) + eext(0x100) + eext(0x100),
        'chunk-measured-and-unmeasured': ecreate(0x2000) + eadd(0) + eext(0x200) + eext(0x200, tag=UNMEASRD),
        'eadd-outside': ecreate(0x2000) + eadd(0x2000),
        'eadd-offset-overflow': ecreate(0x2000) + eadd(0xfffffffffffff000),
        'size-not-pow2': ecreate(0x3000) + eadd(0),
        'size-zero': ecreate(0) + eadd(0),
        'size-max-u64': ecreate(0xffffffffffffffff) + eadd(0),
        'size-below-page': ecreate(0x800) + eadd(0),
        'ssa-zero': ecreate(0x2000, ssa=0) + eadd(0),
        'eadd-decreasing': ecreate(0x4000) + eadd(0x1000) + eadd(0),
        'eadd-twice': ecreate(0x4000) + eadd(0x1000) + eadd(0x1000),
        'secinfo-extra-bits': ecreate(0x2000) + eadd(0, 0x20b),
        'secinfo-type-secs': ecreate(0x2000) + eadd(0, 0x003),
        'secinfo-type-va': ecreate(0x2000) + eadd(0, 0x303),
        'tcs-with-rwx': ecreate(0x2000) + eadd(0, 0x103),
        'unsized': unsized(0x1008) + eadd(0x1000) + eext(0x1000),
        'unsized-truncated': unsized(0x1008) + eadd(0x1000) + eext(0x1000)[:100],
        'garbage': b'\x7fELF' + bytes(200),
    }
    for name, data in cases.items():
        write(d, 'sgxs-' + name + '.sgxs', data)
    write(d, 'good.sgxs', good)


def sig_patch(base, off, data):
    b = bytearray(base)
    b[off:off + len(data)] = data
    return bytes(b)


def gen_sigstruct(d, v):
    with open(os.path.join(v, 'sized.sig'), 'rb') as f:
        good = f.read()
    assert len(good) == 1808
    cases = {
        'short': good[:1807],
        'long': good + b'\0',
        'header': sig_patch(good, 0, b'\x07'),
        'header2': sig_patch(good, 24, b'\x02'),
        'exponent-65537': sig_patch(good, 512, struct.pack('<I', 65537)),
        'exponent-0': sig_patch(good, 512, struct.pack('<I', 0)),
        'modulus-top-clear': sig_patch(good, 128 + 383, b'\x00'),
        'signature-flip': sig_patch(good, 516 + 10, bytes([good[516 + 10] ^ 1])),
        'signature-ge-modulus': sig_patch(good, 516, good[128:512]),
        'q1': sig_patch(good, 1040 + 5, bytes([good[1040 + 5] ^ 0x80])),
        'q2': sig_patch(good, 1424 + 5, bytes([good[1424 + 5] ^ 0x80])),
        'signed-field-changed': sig_patch(good, 1018, b'\x09'),
    }
    for name, data in cases.items():
        write(d, 'sig-' + name + '.sig', data)
    write(d, 'good.sig', good)


def openssl(*args):
    subprocess.run(('openssl',) + args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def e65537_from(good, out, d):
    """The good key's primes with exponent 65537: a 3072-bit e=65537 key
    without the cost of generating one."""
    text = subprocess.run(['openssl', 'rsa', '-in', good, '-text', '-noout'], check=True,
                          capture_output=True, text=True).stdout
    nums, cur = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            cur = line.split(':')[0]
            nums[cur] = ''
        elif cur:
            nums[cur] += line.strip().replace(':', '')
    p, q, e = int(nums['prime1'], 16), int(nums['prime2'], 16), 65537
    lam = (p - 1) * (q - 1) // __import__('math').gcd(p - 1, q - 1)
    dd = pow(e, -1, lam)
    conf = os.path.join(d, 'e65537.conf')
    with open(conf, 'w') as f:
        f.write('asn1=SEQUENCE:rsa\n[rsa]\nversion=INTEGER:0\n')
        for name, val in (('n', p * q), ('e', e), ('d', dd), ('p', p), ('q', q), ('dp', dd % (p - 1)),
                          ('dq', dd % (q - 1)), ('qinv', pow(q, -1, p))):
            f.write('%s=INTEGER:0x%x\n' % (name, val))
    openssl('asn1parse', '-genconf', conf, '-noout', '-out', out + '.der')
    openssl('rsa', '-inform', 'DER', '-in', out + '.der', '-out', out)
    os.unlink(conf)
    os.unlink(out + '.der')


def gen_keys(d, v):
    good = os.path.join(v, 'sgxs-tools_tests_data_sig1.key.pem')
    k = lambda n: os.path.join(d, n)
    with open(good, 'rb') as f:
        pem = f.read()
    write(d, 'key-good.pem', pem)
    openssl('genrsa', '-3', '-out', k('key-2048.pem'), '2048')
    openssl('pkey', '-in', k('key-2048.pem'), '-pubout', '-out', k('key-2048-public.pem'))
    e65537_from(good, k('key-e65537.pem'), d)
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', k('key-ec.pem'))
    openssl('genpkey', '-algorithm', 'ed25519', '-out', k('key-ed25519.pem'))
    openssl('pkey', '-in', good, '-pubout', '-out', k('key-public.pem'))
    openssl('rsa', '-in', good, '-RSAPublicKey_out', '-out', k('key-rsa-public.pem'))
    openssl('req', '-new', '-x509', '-key', k('key-ec.pem'), '-subj', '/CN=x', '-days', '1', '-out', k('key-cert.pem'))
    openssl('pkey', '-in', good, '-aes256', '-passout', 'pass:s3cret', '-out', k('key-encrypted.pem'))
    openssl('pkey', '-in', good, '-outform', 'DER', '-out', k('key-der.der'))
    write(d, 'key-empty.pem', b'')
    write(d, 'key-garbage.pem', b'this is not a key\n')
    lines = pem.splitlines(keepends=True)
    write(d, 'key-truncated.pem', b''.join(lines[:len(lines) // 2]))
    write(d, 'key-no-end.pem', b''.join(lines[:-1]))
    body = bytearray(pem)
    body[200] = ord('!') if body[200] != ord('!') else ord('?')
    write(d, 'key-bad-base64.pem', bytes(body))
    write(d, 'key-unreadable.pem', pem)
    os.makedirs(k('key-dir.pem'), exist_ok=True)
    for n in os.listdir(d):
        if n.startswith('key-') and not os.path.isdir(k(n)):
            os.chmod(k(n), 0o600)
    os.chmod(k('key-unreadable.pem'), 0)


def gen_elf(d, v):
    """ELF inputs for the Fortanix, Intel SDK and application front ends."""
    with open(os.path.join(v, '..', 'fortanix', 't.elf'), 'rb') as f:
        elf = f.read()
    write(d, 't.elf', elf)
    write(d, 'elf-truncated.elf', elf[:1000])
    write(d, 'elf-short.elf', b'\x7fELF\x02\x01\x01')
    write(d, 'elf-garbage.elf', b'A' * 200)
    hdr = bytearray(elf)
    hdr[4] = 1                      # ELFCLASS32 header on a 64-bit body
    write(d, 'elf-class32.elf', bytes(hdr))
    hdr = bytearray(elf)
    struct.pack_into('<H', hdr, 0x38, 0xffff)   # e_phnum far beyond the file
    write(d, 'elf-phnum.elf', bytes(hdr))
    write(d, 'blob.bin', b'\x42' * 300)


def gen_intel(d, v):
    with open(os.path.join(v, '..', 'intel-sdk', 'c1_multi_tcs.xml')) as f:
        xml = f.read()
    sub = lambda tag, val: __import__('re').sub('<%s>[^<]*<' % tag, '<%s>%s<' % (tag, val), xml)
    cases = {
        'truncated': xml[:60],
        'not-xml': 'hello\n',
        'wrong-root': '<Enclave><TCSNum>1</TCSNum></Enclave>',
        'unknown-element': '<EnclaveConfiguration><Bogus>1</Bogus></EnclaveConfiguration>',
        'tcs-zero': sub('TCSNum', '0'),
        'heap-unaligned': sub('HeapMaxSize', '0x123'),
        'prodid-overflow': sub('ProdID', '70000'),
        'number-garbage': sub('ISVSVN', 'seven'),
        'u64-overflow': sub('HeapMaxSize', '0x10000000000000000'),
    }
    for name, text in cases.items():
        write(d, 'cfg-' + name + '.xml', text.encode())


def gen_oe(d, v):
    """Open Enclave: the repo's tiny enclave (tests/oe), bad .conf files,
    a truncated and a tampered signed enclave."""
    oe = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'oe')
    with open(os.path.join(oe, 'tiny_enclave.so'), 'rb') as f:
        elf = f.read()
    with open(os.path.join(oe, 'tiny_enclave.so.signed'), 'rb') as f:
        signed = f.read()
    write(d, 'oe.so', elf)
    good = b'Debug=1\nNumHeapPages=16\nNumStackPages=4\nNumTCS=2\nProductID=1\nSecurityVersion=1\n'
    write(d, 'oe.conf', good)
    for name, text in {
        'syntax': b'Debug\n',
        'duplicate': b'Debug=1\nDebug=1\n',
        'unknown': b'Frobnicate=3\n',
        'tcs-limit': good.replace(b'NumTCS=2', b'NumTCS=1025'),
        'heap-overflow': good.replace(b'NumHeapPages=16', b'NumHeapPages=18446744073709551615'),
    }.items():
        write(d, 'oe-' + name + '.conf', text)
    write(d, 'oe-truncated.so', elf[:3000])
    # .oeinfo's section from the section headers: flip a byte of its MRENCLAVE
    shoff, = struct.unpack_from('<Q', signed, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', signed, 0x3a)
    stroff, = struct.unpack_from('<Q', signed, shoff + shstrndx * shentsize + 0x18)
    for i in range(shnum):
        base = shoff + i * shentsize
        name, = struct.unpack_from('<I', signed, base)
        if signed[stroff + name:stroff + name + 8] == b'.oeinfo\0':
            off, = struct.unpack_from('<Q', signed, base + 0x18)
    t = bytearray(signed)
    t[off + 144 + 960 + 1] ^= 0xff    # inside the SIGSTRUCT's body (sigstruct + 960 = MRENCLAVE)
    write(d, 'oe-tampered.signed', bytes(t))


def gen_pkg(d, v):
    """Packages: an application directory and bad config.json files."""
    app = os.path.join(d, 'pkgapp')
    os.makedirs(os.path.join(app, 'bin'), exist_ok=True)
    with open(os.path.join(v, '..', 'fortanix', 't.elf'), 'rb') as f:
        write(app, 'bin/app', f.read())
    base = '"version": "0.1", "Debug": true, "ApplicationPath": "/bin/app"'
    write(d, 'pkg-good.json', ('{' + base + '}').encode())
    for name, text in {
        'not-json': 'version: 0.1\n',
        'truncated': '{' + base,
        'not-object': '[1, 2]',
        'unknown-key': '{' + base + ', "Foo": 1}',
        'duplicate-key': '{' + base + ', "Debug": false}',
        'no-app': '{"version": "0.1", "Debug": true}',
        'app-missing': '{"version": "0.1", "Debug": true, "ApplicationPath": "/bin/none"}',
        'bad-memory': '{' + base + ', "MemorySize": "12Q"}',
        'memory-overflow': '{' + base + ', "MemorySize": "99999999999999999999"}',
        'env-not-string': '{' + base + ', "EnvironmentVariables": [1]}',
        'env-no-equals': '{' + base + ', "EnvironmentVariables": ["JUSTNAME"]}',
    }.items():
        write(d, 'pkg-' + name + '.json', text.encode())


def tar_bytes(members):
    import io
    import tarfile
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), 0, 0o755
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def gen_oci(d, v):
    """Container images: docker-archive tars (docker save) and OCI layout
    directories, each broken in one place."""
    import hashlib
    import json
    sha = lambda b: hashlib.sha256(b).hexdigest()
    with open(os.path.join(v, '..', 'fortanix', 't.elf'), 'rb') as f:
        layer = tar_bytes([('opt/app/x', f.read())])
    label = {'org.ensign.enclaves': '/opt/app/x'}

    def archive(name, manifest=None, config=None, layer_bytes=layer, diff_ids=None, members=None, cfgname=None):
        cfg = config if config is not None else json.dumps({
            'architecture': 'amd64', 'os': 'linux', 'config': {'Labels': label},
            'rootfs': {'type': 'layers', 'diff_ids': diff_ids or ['sha256:' + sha(layer)]}}).encode()
        cfgname = cfgname or sha(cfg) + '.json'
        man = manifest if manifest is not None else json.dumps(
            [{'Config': cfgname, 'RepoTags': ['x:latest'], 'Layers': ['l1/layer.tar']}]).encode()
        m = members if members is not None else [('manifest.json', man), (cfgname, cfg), ('l1/layer.tar', layer_bytes)]
        write(d, 'oci-' + name + '.tar', tar_bytes(m))

    archive('good')
    write(d, 'oci-not-tar.tar', b'this is not a tar archive\n' * 40)
    archive('no-manifest', members=[('other.json', b'{}')])
    archive('manifest-not-json', manifest=b'[{"Config": ')
    archive('manifest-empty', manifest=b'[]')
    archive('manifest-no-config', manifest=b'[{"Layers": []}]')
    archive('config-corrupted', cfgname='0' * 64 + '.json')
    archive('diff-ids-count', diff_ids=['sha256:' + sha(layer)] * 2)
    archive('layer-corrupted', diff_ids=['sha256:' + '1' * 64])
    archive('layer-missing', manifest=json.dumps([{'Config': 'c.json', 'RepoTags': ['x:latest'],
                                                   'Layers': ['l9/layer.tar']}]).encode(), cfgname='c.json')
    two = json.dumps([{'Config': 'c.json', 'RepoTags': ['a:1'], 'Layers': ['l1/layer.tar']},
                      {'Config': 'c.json', 'RepoTags': ['b:1'], 'Layers': ['l1/layer.tar']}]).encode()
    archive('two-images', manifest=two, cfgname='c.json')
    label = {'org.ensign.enclaves': '/opt/app/none'}
    archive('label-missing')
    # OCI layouts: a file, an empty directory, a wrong version, a bad index
    write(d, 'oci-layout-file', b'not a directory\n')
    os.makedirs(os.path.join(d, 'oci-empty'), exist_ok=True)
    for name, layout, index in (('oci-version', b'{"imageLayoutVersion":"2.0.0"}', b'{}'),
                                ('oci-bad-index', b'{"imageLayoutVersion":"1.0.0"}', b'{"manifests": 3}')):
        os.makedirs(os.path.join(d, name), exist_ok=True)
        write(os.path.join(d, name), 'oci-layout', layout)
        write(os.path.join(d, name), 'index.json', index)


def gen_kinds(d, v):
    """Files of the wrong kind (issue 17 item 3): source text, a compressed
    archive, a plain ELF executable, an Intel SDK enclave; with good.sgxs,
    good.sig, key-good.pem, t.elf (Fortanix EDP), oe.so and pkg-good.json."""
    import gzip
    write(d, 'kind-hello.c', b'#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n')
    write(d, 'kind-archive.tar.gz', gzip.compress(b'not really a tar' * 64, mtime=0))
    # ELF64 x86-64 ET_EXEC, one PT_LOAD of the file itself, entry at its end
    ehdr = struct.pack('<4sBBBBB7sHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 0, b'\0' * 7, 2, 62, 1,
                       0x400078, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack('<IIQQQQQQ', 1, 5, 0, 0x400000, 0x400000, 0x79, 0x79, 0x1000)
    write(d, 'kind-exec.elf', ehdr + phdr + b'\xc3')
    with open(os.path.join(v, '..', 'intel-sdk', 'mini_enclave.c1_multi_tcs.signed.so'), 'rb') as f:
        write(d, 'kind-intel.so', f.read())


def main():
    d, v = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    gen_sgxs(d, v)
    gen_sigstruct(d, v)
    gen_keys(d, v)
    gen_elf(d, v)
    gen_intel(d, v)
    gen_oe(d, v)
    gen_pkg(d, v)
    gen_oci(d, v)
    gen_kinds(d, v)
    # new formats: a gen_<format>(d, v) here and rows in cases.tsv


main()
