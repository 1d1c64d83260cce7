/*
 * main.c - the pair binary's entry point, alone in its file so that unit
 * tests can drive mw_cli_main with a program of their own without linking
 * this object (the linker takes it from libmwrt.a only to resolve main).
 */
#include "cli.h"

int main(int argc, char **argv) { return mw_cli_main(argc, argv, &mw_the_program); }
