#pragma once
// Entry points of the verbs (one cmd_<verb>.cpp each). argv[0] is the verb name.
namespace efm::cli {
int run_version(int argc, char** argv);
int run_ingest(int argc, char** argv);
int run_inspect(int argc, char** argv);
int run_launch(int argc, char** argv);
int run_simulate(int argc, char** argv);
int run_report(int argc, char** argv);
int run_tokenizer(int argc, char** argv);
int run_pretrain(int argc, char** argv);
int run_finetune(int argc, char** argv);
int run_evaluate(int argc, char** argv);
int run_predict(int argc, char** argv);
int run_embed(int argc, char** argv);
int run_import(int argc, char** argv);
int run_export(int argc, char** argv);
}  // namespace efm::cli
