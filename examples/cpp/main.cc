// The smallest useful fenlei program: load a model, classify texts, segment a sentence.
// Built against an installed fenlei (find_package(fenlei) -> fenlei::fenlei); see CMakeLists.txt.
#include <iostream>
#include <string>
#include <vector>

#include "fenlei/classifier.h"
#include "fenlei/segmenter.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: fenlei_consumer MODEL.fenlei [TEXT...]\n";
    return 2;
  }
  auto model = fenlei::Classifier::load(argv[1]);
  if (!model.ok()) {
    std::cerr << "error: " << model.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> texts(argv + 2, argv + argc);
  if (texts.empty()) texts = {"房间很干净，服务也好", "太吵了，不会再来"};
  fenlei::PredictOptions options;
  options.k = 2;
  auto predictions = (*model)->predict(texts, options);
  if (!predictions.ok()) {
    std::cerr << "error: " << predictions.status().message() << "\n";
    return 1;
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    std::cout << (*predictions)[i].label << "\t" << (*predictions)[i].score << "\t" << texts[i]
              << "\n";
  }

  auto segmenter = fenlei::seg::Segmenter::load({});
  if (!segmenter.ok()) {
    std::cerr << "error: " << segmenter.status().message() << "\n";
    return 1;
  }
  std::string joined;
  for (const auto& word : (*segmenter)->cut("我来到北京清华大学")) {
    joined += (joined.empty() ? "" : " / ") + word;
  }
  std::cout << joined << "\n";
  return 0;
}
