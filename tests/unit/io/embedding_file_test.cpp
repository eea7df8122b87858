// io::EmbeddingWriter / read_embedding_file: rows appended over several batches (more than one chunk) read back
// exactly, a file at the path only once finished, and the size checks of a batch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/io/embedding_file.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::io {
namespace {
namespace fs = std::filesystem;

EmbeddingFileHeader header(int64_t d, int64_t k) {
  EmbeddingFileHeader h;
  h.model = "runs/pt/pretrained.pt";
  h.experiment_kind = "finetune";
  h.source = "stores/x";
  h.embed_dim = d;
  h.n_logits = k;
  if (k > 0) h.classes = {"non_seizure", "seizure"};
  h.window_s = 4;
  h.stride_s = 2;
  h.recordings = {"a", "b"};
  h.channel_groups = {{"FP1", "FP2"}, {"C3"}};
  return h;
}

/// `n` rows starting at row `first`: embedding values row*d + j, logit -row, recording row % 2, start 2*row s.
struct Batch {
  std::vector<float> embedding, logits;
  std::vector<int32_t> recording, group;
  std::vector<double> start_s;
  Batch(int64_t first, int64_t n, int64_t d) {
    for (int64_t r = first; r < first + n; ++r) {
      for (int64_t j = 0; j < d; ++j) embedding.push_back(static_cast<float>(r * d + j));
      logits.push_back(-static_cast<float>(r));
      recording.push_back(static_cast<int32_t>(r % 2));
      group.push_back(static_cast<int32_t>(r % 2));
      start_s.push_back(2.0 * static_cast<double>(r));
    }
  }
  EmbeddingRows rows() const { return {embedding, logits, recording, start_s, group}; }
};

TEST(EmbeddingFile, RowsAppendedInBatchesReadBackExactly) {
  test::TempDir dir;
  const fs::path path = dir / "emb.h5";
  const int64_t d = 4096;  // 16 KiB rows: 16 rows per chunk, so 40 rows span three chunks
  {
    EmbeddingWriter w(path, header(d, 1));
    int64_t row = 0;
    for (int64_t n : {7, 0, 20, 13}) {
      w.append(Batch(row, n, d).rows());
      row += n;
    }
    EXPECT_EQ(w.rows(), 40);
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::exists(path.string() + ".partial"));
    w.finish();
  }
  EXPECT_FALSE(fs::exists(path.string() + ".partial"));
  const EmbeddingFile f = read_embedding_file(path);
  const Batch all(0, 40, d);
  EXPECT_EQ(f.n_windows, 40);
  EXPECT_EQ(f.embedding, all.embedding);
  EXPECT_EQ(f.logits, all.logits);
  EXPECT_EQ(f.recording, all.recording);
  EXPECT_EQ(f.start_s, all.start_s);
  EXPECT_EQ(f.channel_group, all.group);
  const EmbeddingFileHeader want = header(d, 1);
  EXPECT_EQ(f.header.model, want.model);
  EXPECT_EQ(f.header.experiment_kind, want.experiment_kind);
  EXPECT_EQ(f.header.source, want.source);
  EXPECT_EQ(f.header.embed_dim, d);
  EXPECT_EQ(f.header.n_logits, 1);
  EXPECT_EQ(f.header.classes, want.classes);
  EXPECT_EQ(f.header.window_s, 4.0);
  EXPECT_EQ(f.header.stride_s, 2.0);
  EXPECT_EQ(f.header.recordings, want.recordings);
  EXPECT_EQ(f.header.channel_groups, want.channel_groups);
}

TEST(EmbeddingFile, AnUnfinishedWriterLeavesNoFile) {
  test::TempDir dir;
  const fs::path path = dir / "sub" / "emb.h5";
  {
    EmbeddingWriter w(path, header(3, 0));
    Batch b(0, 2, 3);
    b.logits.clear();
    w.append(b.rows());
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".partial"));
}

TEST(EmbeddingFile, BatchSizesAndIndicesAreChecked) {
  test::TempDir dir;
  EmbeddingWriter w(dir / "emb.h5", header(3, 1));
  Batch short_embedding(0, 2, 3);
  short_embedding.embedding.pop_back();
  EXPECT_THAT([&] { w.append(short_embedding.rows()); },
              ThrowsMessage<ArgumentError>(HasSubstr("EmbeddingRows::embedding: 5 values for the batch, expected 6")));
  Batch bad_recording(0, 2, 3);
  bad_recording.recording[1] = 2;
  EXPECT_THAT([&] { w.append(bad_recording.rows()); },
              ThrowsMessage<ArgumentError>(HasSubstr("EmbeddingRows::recording: 2 is not a row of the 2 recordings")));
  EXPECT_EQ(w.rows(), 0);
  EXPECT_THAT([] { (void)read_embedding_file("/nonexistent/emb.h5"); },
              ThrowsMessage<DataError>(HasSubstr("/nonexistent/emb.h5: no such embedding file")));
}

}  // namespace
}  // namespace efm::io
