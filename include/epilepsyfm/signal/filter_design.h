#pragma once
/// FIR filter design in double precision, replicating MNE 1.3 and SciPy 1.10 so that outputs can be golden-tested
/// against them (tests/golden/signal_dsp_test.cpp, scripts/golden/dsp_reference.py).
///
/// design_fir_filter() = mne.filter.create_filter(..., method='fir', phase='zero', fir_design='firwin') and
/// design_notch_filter() = the kernel mne.filter.notch_filter(..., method='fir') applies. The formulas, from
/// /usr/lib/python3/dist-packages/mne/filter.py (MNE 1.3):
///  - transition bandwidths 'auto': l_trans = min(max(0.25 * l_freq, 2), l_freq),
///    h_trans = min(max(0.25 * h_freq, 2), sfreq / 2 - h_freq)                                 (_triage_filter_params)
///  - filter length 'auto': N = ceil(f_w / min(transitions) * sfreq) samples, made odd, with the window factor f_w =
///    3.3 (hamming), 3.1 (hann), 5.0 (blackman)                                       (_length_factors, _to_samples)
///  - the kernel is built from the gain breakpoints, highest frequency first: at each gain step a windowed-sinc
///    low-pass (scipy.signal.firwin) of length round(f_w / (step width / 2)) (odd) with cutoff at the step's middle
///    is added (step up) or subtracted (step down), centred in the N-tap kernel            (_firwin_design)
///  - notch: for each line frequency f (width w = f / 200 unless given, transition t = 1 Hz) a band-stop with pass
///    edges f -/+ (w/2 + t/2) and stop edges f -/+ w/2, all stop bands in one kernel, t/2 transitions (notch_filter)
/// Frequencies are in Hz; kernels are odd-length and symmetric (linear phase; zero phase once the (N-1)/2 delay is
/// compensated, see fir.h).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace efm::signal {

/// MNE's "fir_window": hamming (default), hann, blackman.
struct FirFilterOptions {
  std::optional<double> l_trans_bandwidth_hz;  ///< nullopt = MNE 'auto'
  std::optional<double> h_trans_bandwidth_hz;  ///< nullopt = MNE 'auto'
  std::optional<int64_t> filter_length;        ///< samples; nullopt = MNE 'auto'; made odd
  std::string window = "hamming";
};

/// One zero-phase FIR kernel as MNE designs it: low-pass (no l_freq), high-pass (no h_freq), band-pass
/// (l_freq < h_freq) or band-stop (l_freq > h_freq). Throws ArgumentError with MNE's conditions: l_freq > 0,
/// h_freq < sfreq / 2, stop edges inside [0, sfreq / 2], filter_length long enough for the transitions.
std::vector<double> design_fir_filter(double sfreq_hz, std::optional<double> l_freq_hz, std::optional<double> h_freq_hz,
                                      const FirFilterOptions& options = {});

struct NotchFilterOptions {
  std::optional<double> notch_width_hz;  ///< stop-band width per frequency; nullopt = f / 200 (MNE default)
  double trans_bandwidth_hz = 1.0;       ///< MNE notch_filter trans_bandwidth
  std::optional<int64_t> filter_length;  ///< nullopt = 'auto' (3.3 / (trans_bandwidth / 2) s with hamming)
  std::string window = "hamming";
};

/// The kernel of mne.filter.notch_filter(x, sfreq, freqs, method='fir') (all frequencies in one band-stop kernel).
/// Throws ArgumentError when a stop band reaches the Nyquist frequency or two bands overlap.
std::vector<double> design_notch_filter(double sfreq_hz, const std::vector<double>& freqs_hz,
                                        const NotchFilterOptions& options = {});

/// Line frequencies to notch at `sfreq_hz`: each base frequency and, with `harmonics`, its multiples 2f, 3f, ...,
/// keeping those whose upper pass edge f + width/2 + trans/2 stays below the Nyquist frequency (MNE refuses the
/// others). Sorted, duplicates removed.
std::vector<double> notch_frequencies(const std::vector<double>& base_hz, bool harmonics, double sfreq_hz,
                                      const NotchFilterOptions& options = {});

/// scipy.signal.get_window(window, n, fftbins=False) for "hamming", "hann", "blackman", "boxcar" and "kaiser"
/// (with `kaiser_beta`).
std::vector<double> fir_window(const std::string& window, int64_t n, double kaiser_beta = 0.0);

/// scipy.signal.firwin(numtaps, cutoff, window, pass_zero=True, scale=True) low-pass, cutoff relative to the
/// Nyquist frequency (0 < cutoff < 1); unit gain at 0 Hz.
std::vector<double> firwin_lowpass(int64_t numtaps, double cutoff, const std::string& window = "hamming",
                                   double kaiser_beta = 0.0);

/// Full linear convolution (numpy.convolve): length a.size() + b.size() - 1. Two filters applied in sequence equal
/// one filter with the convolved kernel.
std::vector<double> convolve(const std::vector<double>& a, const std::vector<double>& b);

/// |H(f)| of kernel `h` at `freq_hz` for sampling rate `sfreq_hz`.
double amplitude_response(const std::vector<double>& h, double freq_hz, double sfreq_hz);

}  // namespace efm::signal
