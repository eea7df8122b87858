#include <gtest/gtest.h>

#include <fstream>

#include "epilepsyfm/core/sha256.h"
#include "support/test_support.h"

namespace efm {

// Test vectors: FIPS 180-4 examples (NIST CSRC "SHA256.pdf").
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAsAcrossChunkedUpdates) {
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(chunk);
  EXPECT_EQ(h.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileEqualsString) {
  test::TempDir dir;
  const std::string content(3 * 1024 * 1024 + 7, 'x');
  std::ofstream(dir / "f.bin", std::ios::binary) << content;
  EXPECT_EQ(sha256_file(dir / "f.bin"), sha256_hex(content));
}

// Many blocks per update() (the SHA-extension path keeps the state in registers across blocks), odd split points
// and every length around the block size, against the one-byte-at-a-time path.
TEST(Sha256, BulkAndBytewiseUpdatesAgree) {
  std::string data(64 * 37 + 13, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + 7) % 251);
  for (size_t len : {size_t(0), size_t(55), size_t(56), size_t(63), size_t(64), size_t(65), size_t(128), data.size()}) {
    Sha256 bytewise;
    for (size_t i = 0; i < len; ++i) bytewise.update(&data[i], 1);
    Sha256 split;
    split.update(data.data(), len / 3);
    split.update(data.data() + len / 3, len - len / 3);
    EXPECT_EQ(split.hex_digest(), bytewise.hex_digest()) << len;
  }
  // sha256sum of these 2381 bytes (GNU coreutils 9.1).
  EXPECT_EQ(sha256_hex(data), "b65ef0479b43299a6e50ae1cfa2dd9bd64565ef7b7dc71378a9144fcf3c6581d");
}

}  // namespace efm
