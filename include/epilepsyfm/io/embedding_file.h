#pragma once
/// The embedding file `epilepsyfm embed` writes (docs/embed.md): one row per window, HDF5 that h5py reads.
///
///   /embedding       [N, d] float32   window embeddings (the backbone's pooled output), chunked
///   /logits          [N, K] float32   window-classifier outputs, only for models with such a head (K = 1: binary)
///   /recording       [N] int32        row of /recordings
///   /start_s         [N] float64      window start in seconds from the start of its recording
///   /channel_group   [N] int32        the window's channel set: /channels/<g>
///   /recordings      [R] string       recording ids, as the store names them
///   /channels/<g>    [C_g] string     canonical channel names of channel set g, in the model's input row order
///   attributes of /: model, experiment_kind, source, embed_dim, n_logits, classes, window_s, stride_s,
///                    n_windows, tool_version
///
///   EmbeddingWriter w("emb.h5", header);      // emb.h5.partial until finish()
///   w.append(rows);                           // batch by batch: memory does not grow with N
///   w.finish();                               // renamed to emb.h5
///   EmbeddingFile f = read_embedding_file("emb.h5");   // everything in memory (tests, small tools)
/// A writer destroyed before finish() removes its partial file, so a file at the path is always complete.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace efm::io {

/// The file-level facts of an embedding file: its attributes and the channel groups, written when it is created.
struct EmbeddingFileHeader {
  std::string model;                 ///< the model file the embeddings come from
  std::string experiment_kind;       ///< "pretrain" | "finetune"
  std::string source;                ///< the store (or recording) embedded
  int64_t embed_dim = 0;             ///< d
  int64_t n_logits = 0;              ///< K; 0 = no /logits dataset
  std::vector<std::string> classes;  ///< names of the head's classes (empty without logits)
  double window_s = 0;
  double stride_s = 0;
  std::vector<std::string> recordings;                   ///< /recordings
  std::vector<std::vector<std::string>> channel_groups;  ///< /channels/<g>
};

/// One batch of rows; every span holds n entries (embedding n*d, logits n*K).
struct EmbeddingRows {
  std::span<const float> embedding;  ///< [n, d] row-major
  std::span<const float> logits;     ///< [n, K] row-major; empty when the header has no logits
  std::span<const int32_t> recording;
  std::span<const double> start_s;
  std::span<const int32_t> channel_group;
};

class EmbeddingWriter {
 public:
  /// Creates `path`.partial with the header's datasets. DataError when it cannot be created; ArgumentError for a
  /// header with embed_dim < 1.
  EmbeddingWriter(std::filesystem::path path, EmbeddingFileHeader header);
  ~EmbeddingWriter();
  EmbeddingWriter(const EmbeddingWriter&) = delete;
  EmbeddingWriter& operator=(const EmbeddingWriter&) = delete;

  /// Appends rows (ArgumentError naming the span whose size does not fit n rows, or an index out of range).
  void append(const EmbeddingRows& rows);
  /// Writes n_windows, closes the file and renames it to `path`.
  void finish();
  int64_t rows() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// An embedding file read back whole.
struct EmbeddingFile {
  EmbeddingFileHeader header;
  int64_t n_windows = 0;
  std::vector<float> embedding;  ///< [n_windows, embed_dim]
  std::vector<float> logits;     ///< [n_windows, n_logits]
  std::vector<int32_t> recording;
  std::vector<double> start_s;
  std::vector<int32_t> channel_group;
};

/// Reads a file written by EmbeddingWriter. DataError naming the path for anything else.
EmbeddingFile read_embedding_file(const std::filesystem::path& path);

}  // namespace efm::io
