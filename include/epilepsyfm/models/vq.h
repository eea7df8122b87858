#pragma once
/// NormEMAVectorQuantizer (LaBraM norm_ema_quantizer.py, after BEiT-v2): cosine-similarity vector quantisation
/// with an l2-normalised codebook that is updated by exponential moving averages, not by gradients.
///
/// forward(z): z is l2-normalised; each vector takes the nearest code (max cosine = min Euclidean distance between
/// unit vectors); returns the straight-through output z + (e - z).detach() (gradient = identity w.r.t. the
/// normalised z), the code indices and the commitment loss beta * MSE(e.detach(), z) (beta = 1).
///
/// Training update, per step, from the statistics of the batch (counts n_k and sums s_k of the vectors assigned to
/// code k), after an optional all-reduce across data-parallel ranks:
///   rule "labram" (default; the path LaBraM runs):  m_k = l2n(s_k / n_k);  e_k <- l2n(decay*e_k + (1-decay)*m_k)
///                                                   for n_k > 0; unused codes keep e_k
///   rule "laplace" (VQ-VAE-2 EMA with Laplace smoothing, LaBraM's unused EmbeddingEMA.weight_update):
///        N_k <- decay*N_k + (1-decay)*n_k;  S_k <- decay*S_k + (1-decay)*s_k;  n = sum N;
///        e_k <- l2n(S_k / ((N_k + eps) / (n + K*eps) * n))
///   both rules keep cluster_size N_k (EMA of the counts) for dead-code detection.
/// Dead codes (cluster_size < dead_code_threshold after the update): "reseed" (default) replaces them with random
/// vectors of the current batch and sets their cluster_size to the mean cluster size (a grace period); "keep"
/// leaves them as they are (LaBraM's behaviour).
/// k-means initialisation on the first batch seen (LaBraM: 10 iterations, cosine similarity, empty clusters keep
/// their previous mean) when kmeans_init is on; otherwise the codebook starts as l2-normalised Gaussian vectors.
/// Seeding: "kmeans++" (default; D^2 sampling of 1 - cos) or "random" (LaBraM: uniform without replacement);
/// both fall back to sampling with replacement when the batch has fewer vectors than codes. Randomness comes from
/// LibTorch's global generator (seed it with models::seed_torch).
///
/// Data parallel: set_sync_hooks({all_reduce_sum, broadcast}). The per-step counts and sums are all-reduced (summed)
/// before the update, so every rank applies the same update; after k-means init and after re-seeding, the codebook
/// and statistics are broadcast from rank 0 (ranks draw different batches). When is the update applied:
///  - immediate (default, LaBraM): inside every training forward (collectives then run inside forward);
///  - deferred (set_deferred_update(true)): training forwards only accumulate counts and sums; the trainer calls
///    apply_pending() once per optimiser step (e.g. in an after_backward hook), which all-reduces and applies them.
///    With gradient accumulation this is one EMA step per optimiser step over all its micro-batches.
/// Or call compute_stats / apply_stats yourself with set_update(false).
///
/// State (stable names): codebook [K, D] (unit rows), initialized [] bool, cluster_size [K] float32,
/// embed_sum [K, D] (rule "laplace" only), usage_counts [K] float64 (code counts since reset_usage()).
/// All are buffers: optimisers never see them.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "epilepsyfm/core/enum_names.h"

namespace efm::models {

enum class EmaRule { labram, laplace };
enum class DeadCodePolicy { reseed, keep };
enum class KmeansSeeding { kmeans_plus_plus, random };

// The names in configs (tokenizer.vq.ema_rule, .dead_codes, .kmeans_seeding); core/enum_names.h.
inline constexpr EnumNames<EmaRule, 2> kEmaRuleNames{{{EmaRule::labram, "labram"}, {EmaRule::laplace, "laplace"}}};
inline constexpr EnumNames<DeadCodePolicy, 2> kDeadCodePolicyNames{
    {{DeadCodePolicy::reseed, "reseed"}, {DeadCodePolicy::keep, "keep"}}};
inline constexpr EnumNames<KmeansSeeding, 2> kKmeansSeedingNames{
    {{KmeansSeeding::kmeans_plus_plus, "kmeans++"}, {KmeansSeeding::random, "random"}}};
constexpr const auto& enum_names(EmaRule) {
  return kEmaRuleNames;
}
constexpr const auto& enum_names(DeadCodePolicy) {
  return kDeadCodePolicyNames;
}
constexpr const auto& enum_names(KmeansSeeding) {
  return kKmeansSeedingNames;
}

struct VectorQuantizerOptions {
  VectorQuantizerOptions() = default;
  VectorQuantizerOptions(int64_t n_codes, int64_t code_dim) : n_codes_(n_codes), code_dim_(code_dim) {}
  TORCH_ARG(int64_t, n_codes) = 8192;  ///< K
  TORCH_ARG(int64_t, code_dim) = 64;   ///< D
  TORCH_ARG(double, decay) = 0.99;
  TORCH_ARG(double, eps) = 1e-5;  ///< Laplace smoothing ("laplace" rule)
  TORCH_ARG(double, beta) = 1.0;  ///< commitment loss weight
  TORCH_ARG(EmaRule, ema_rule) = EmaRule::labram;
  TORCH_ARG(bool, kmeans_init) = true;
  TORCH_ARG(int64_t, kmeans_iters) = 10;
  TORCH_ARG(KmeansSeeding, kmeans_seeding) = KmeansSeeding::kmeans_plus_plus;
  TORCH_ARG(DeadCodePolicy, dead_codes) = DeadCodePolicy::reseed;
  TORCH_ARG(double, dead_code_threshold) = 1.0;  ///< cluster_size (EMA tokens per step) below this = dead
};

struct VqOutput {
  torch::Tensor z_q;      ///< [..., D] straight-through quantised vectors (value = code, gradient -> z)
  torch::Tensor indices;  ///< [...] int64 code ids
  torch::Tensor loss;     ///< [] commitment loss beta * MSE(code.detach(), z)
  torch::Tensor z;        ///< [..., D] the l2-normalised input
};

/// Per-step statistics: counts [K] float32 and sums [K, D] of the normalised vectors assigned to each code.
struct VqStats {
  torch::Tensor counts;
  torch::Tensor sums;
};

struct VqSyncHooks {
  std::function<void(torch::Tensor&)> all_reduce_sum;  ///< in place: sum over ranks
  std::function<void(torch::Tensor&)> broadcast;       ///< in place: rank 0's values on every rank
};

/// k-means with cosine similarity on unit vectors: samples [M, D] -> (means [K, D] unit rows, cluster sizes [K] of
/// the last assignment). Empty clusters keep their previous mean (LaBraM).
std::pair<torch::Tensor, torch::Tensor> kmeans_cosine(const torch::Tensor& samples, int64_t n_clusters, int64_t iters,
                                                      KmeansSeeding seeding);
/// exp(entropy) of a count vector: the effective number of codes in use (1 .. K); 0 for all-zero counts.
double perplexity_of(const torch::Tensor& counts);

class NormEMAVectorQuantizerImpl : public torch::nn::Module {
 public:
  explicit NormEMAVectorQuantizerImpl(VectorQuantizerOptions options = {});

  /// @param z [..., D] float (any leading dims)
  VqOutput forward(const torch::Tensor& z);

  /// Statistics of one step (see the file comment); z [M, D] unit rows, indices [M].
  VqStats compute_stats(const torch::Tensor& z, const torch::Tensor& indices) const;
  /// EMA update (+ dead-code handling, using `batch` [M, D] unit rows as re-seeding candidates).
  void apply_stats(const VqStats& stats, const torch::Tensor& batch);
  /// Runs k-means initialisation on `batch` [M, D] (normalised here) unless already initialised.
  void initialize_from(const torch::Tensor& batch);
  /// Replaces the codebook (rows l2-normalised), marks it initialised and zeroes the EMA statistics.
  void set_codebook(const torch::Tensor& codes);

  void set_sync_hooks(VqSyncHooks hooks) { hooks_ = std::move(hooks); }
  /// Deferred mode (see the file comment): forward accumulates, apply_pending() updates.
  void set_deferred_update(bool deferred) { deferred_ = deferred; }
  /// All-reduces (hook) and applies the statistics accumulated since the last call; no-op when nothing is pending.
  /// Every rank must call it the same number of times.
  void apply_pending();
  /// Vectors accumulated by deferred forwards since the last apply_pending() (0 when none).
  int64_t pending_vectors() const { return pending_.counts.defined() ? pending_rows_ : 0; }
  /// When false, forward never changes the codebook (a frozen tokenizer). Default true (updates in training mode).
  void set_update(bool update) { update_ = update; }
  bool updates() const { return update_; }
  bool initialized() const { return initialized_.item<bool>(); }

  /// Fraction of codes used at least once since reset_usage() (counted in training and evaluation).
  double usage() const;
  /// perplexity_of(usage_counts).
  double perplexity() const;
  void reset_usage();

  const VectorQuantizerOptions& options() const { return options_; }
  const torch::Tensor& codebook() const { return codebook_; }
  const torch::Tensor& cluster_size() const { return cluster_size_; }
  const torch::Tensor& usage_counts() const { return usage_counts_; }

 private:
  void broadcast_state();
  VectorQuantizerOptions options_;
  VqSyncHooks hooks_;
  bool update_ = true;
  bool deferred_ = false;
  VqStats pending_;
  torch::Tensor pending_batch_;  ///< latest batch vectors, re-seeding candidates for the deferred update
  int64_t pending_rows_ = 0;
  void reduce_and_apply(VqStats stats, const torch::Tensor& batch);
  torch::Tensor codebook_, initialized_, cluster_size_, embed_sum_, usage_counts_;
};
TORCH_MODULE(NormEMAVectorQuantizer);

}  // namespace efm::models
