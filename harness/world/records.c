#include "records_oracle.h"

#include "random.h"

void records_generate(struct record *out, size_t n, uint64_t seed)
{
	uint64_t state = seed;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = world_random(&state);

		out[i].id = (uint32_t)i;
		out[i].patient_id = 1000 + (uint32_t)(r % 5000);
		out[i].systolic = 95 + (int)((r >> 16) % 70);
		out[i].diastolic = 60 + (int)((r >> 24) % 35);
		out[i].heart_rate = 50 + (int)((r >> 32) % 60);
		if ((r >> 40) % 8 == 0)
			out[i].systolic *= 10;
	}
}

bool record_is_plausible(const struct record *r)
{
	return r->systolic >= 60 && r->systolic <= 250 &&
	       r->diastolic >= 30 && r->diastolic < r->systolic &&
	       r->heart_rate >= 25 && r->heart_rate <= 250;
}

size_t records_count_plausible(const struct record *records, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += record_is_plausible(&records[i]);
	return count;
}
