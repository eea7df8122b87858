#pragma once
// A BrainVision Core Data Format 1.0 triplet (rec.vhdr / rec.vmrk / rec.eeg) written by the test: 3 channels,
// INT_16 multiplexed, resolutions 0.1 uV, 0.5 uV and 1 mV, 250 Hz (SamplingInterval 4000 us), 500 samples, markers
// with 1-based positions and a "New Segment" marker without a date field.
#include <cstdint>
#include <filesystem>
#include <fstream>

namespace efm::test {

struct BrainVisionTriplet {
  static constexpr int kSamples = 500, kChannels = 3;
  static constexpr double kResolution[kChannels] = {0.1, 0.5, 1.0};  // in each channel's unit
  static int16_t digital(int c, int i) { return int16_t(((i * 37 + c * 1001) % 4001) - 2000); }

  /// Writes the triplet into `dir` and returns the .vhdr path.
  static std::filesystem::path write(const std::filesystem::path& dir) {
    std::ofstream v(dir / "rec.vhdr");
    v << "Brain Vision Data Exchange Header File Version 1.0\n; test triplet\n\n[Common Infos]\nCodepage=UTF-8\n"
         "DataFile=rec.eeg\nMarkerFile=rec.vmrk\nDataFormat=BINARY\nDataOrientation=MULTIPLEXED\n"
         "NumberOfChannels=3\nSamplingInterval=4000\n\n[Binary Infos]\nBinaryFormat=INT_16\n\n[Channel Infos]\n"
         "Ch1=Fp1,,0.1,\xc2\xb5V\nCh2=Cz,,0.5,\xc2\xb5V\nCh3=ECG,,1,mV\n";
    std::ofstream m(dir / "rec.vmrk");
    m << "Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\nCodepage=UTF-8\nDataFile=rec.eeg\n\n"
         "[Marker Infos]\nMk1=New Segment,,1,1,0\nMk2=Stimulus,S  1,101,1,0\nMk3=Comment,seizure onset,251,50,0\n";
    std::ofstream e(dir / "rec.eeg", std::ios::binary);
    for (int i = 0; i < kSamples; ++i)
      for (int c = 0; c < kChannels; ++c) {
        const int16_t d = digital(c, i);
        e.put(char(d & 0xFF)).put(char((uint16_t(d) >> 8) & 0xFF));
      }
    return dir / "rec.vhdr";
  }
};

}  // namespace efm::test
