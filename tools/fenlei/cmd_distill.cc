// fenlei distill: teacher model(s) + data -> a small student model (knowledge distillation).
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "fenlei/log.h"
#include "output_paths.h"
#include "train/distill.h"
#include "train/preset_defaults.h"
#include "train/progress_bar_reporter.h"
#include "train_flags.h"

namespace fenlei::cli {
namespace {

const std::string kDescription =
    "Train a small, fast student model to imitate a large teacher (knowledge distillation,\n"
    "Hinton et al. 2015). The teacher's class probabilities, softened at a temperature T,\n"
    "are the student's soft targets, mixed with the hard labels:\n\n"
    "  loss = (1 - alpha) * CE(label) + alpha * T^2 * CE(softmax(student/T), teacher at T)\n\n"
    "Texts in --unlabeled (one per line) get only the soft loss, so the teacher can label as\n"
    "much raw text as you have: this is where a student gains most (Tang et al. 2019).\n"
    "Any fenlei model can teach: textcnn, fasttext, int8, or a transformer brought in with\n"
    "`fenlei import`; several --teacher flags form an ensemble (mean probabilities). The\n"
    "teachers predict every training text once, before the first epoch; a teacher must know\n"
    "exactly the labels of the data.\n\n"
    "Examples:\n"
    "  fenlei train -i train.tsv --valid dev.tsv --model textcnn -o teacher.fenlei\n"
    "  fenlei distill --teacher teacher.fenlei --student seed-cnn -i train.tsv --valid dev.tsv \\\n"
    "      -o student.fenlei\n"
    "  fenlei distill --teacher bert.fenlei --teacher textcnn.fenlei --student fasttext \\\n"
    "      -i train.tsv --unlabeled raw_texts.txt --temperature 3 --alpha 0.7 -o student.fenlei\n\n"
    "Choosing T and alpha: T = 1 copies the teacher's probabilities as they are; T = 2-4\n"
    "shows the student which wrong labels the teacher finds plausible. alpha = 0 is plain\n"
    "training, alpha = 1 ignores the labels. T 2 measured best on average over T 1, 2, 4\n"
    "(docs/distillation.md); alpha mattered less. A teacher helps most when it is clearly\n"
    "better than the student and when --unlabeled texts are given. Every flag of\n"
    "`fenlei train` works here too; the student's preset supplies the training defaults:\n\n";

struct DistillFlags {
  TrainFlags train;
  train::DistillOptions d;
};

void add_distill_flags(CLI::App& app, DistillFlags& f) {
  add_train_flags(app, f.train);
  // The student's preset is --student here; and every process would need the teachers: no MPI.
  app.remove_option(app.get_option("--model"));
  app.remove_option(app.get_option("--mpi"));
  app.add_option("--teacher", f.d.teachers,
                 "Teacher model file (any fenlei model); repeat for an ensemble")
      ->required()
      ->group("Distillation");
  app.add_option("--student", f.train.model, "Student preset: seed-cnn, textcnn or fasttext")
      ->group("Distillation");
  app.add_option("--temperature", f.d.temperature,
                 "Softening temperature T of the teacher's and the student's distributions (> 0)")
      ->group("Distillation");
  app.add_option("--alpha", f.d.alpha,
                 "Weight of the soft (teacher) loss on labelled texts, in [0, 1]")
      ->group("Distillation");
  app.add_option("--unlabeled", f.d.unlabeled,
                 "Texts without labels, one per line: trained on the teacher's targets only")
      ->group("Distillation");
}

int run_distill(int argc, char** argv) {
  DistillFlags flags;
  auto app = make_app("distill", kDescription + train::describe_preset_defaults());
  add_distill_flags(*app, flags);
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  if (Status s = finish_train_flags(*app, flags.train); !s.ok()) {
    std::cerr << "fenlei distill: error: " << s.message() << "\n";
    return kExitUsage;
  }
  train::DistillOptions& d = flags.d;
  std::vector<std::string> inputs = d.teachers;
  inputs.push_back(flags.train.model_json);
  if (!d.unlabeled.empty()) inputs.push_back(d.unlabeled);
  if (Status s = check_training_paths(flags.train.o, inputs); !s.ok()) return fail("distill", s);
  d.train = flags.train.o;
  d.train.on_progress = train::progress_bar_reporter();
  auto result = train::distill_model(d);
  if (!result.ok()) return fail("distill", result.status());
  const auto& m = result->valid_metrics;
  FENLEI_LOG(kInfo) << "saved " << d.train.output << " (best epoch " << result->best_epoch
                    << "; validation accuracy " << m.accuracy << ", macro-F1 " << m.macro_f1
                    << ")";
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("distill", "Train a small student model from a teacher's predictions", 27,
                        run_distill);

}  // namespace fenlei::cli
