# Reading a results file with HDF5's own tools (Debian: hdf5-tools).
h5ls results/peer_mentor_staffing.h5/arms
h5dump -d /arms/mentors_140/outcomes/relapse_by_day_365 -A 0 results/peer_mentor_staffing.h5
h5dump -a /arms/mentors_140/outcomes/relapse_by_day_365/description results/peer_mentor_staffing.h5
