// Spur gear with an involute-like tooth profile, a bore and an optional hub.
teeth = 10;          // number of teeth
mod = 1;             // gear module: pitch diameter / teeth, mm ("module" is an OpenSCAD keyword)
thickness = 3;       // face width, mm
bore_d = 3;          // shaft hole, mm
hub = true;          // raised hub around the bore
pressure_angle = 20; // degrees

pitch_r = teeth * mod / 2;
outer_r = pitch_r + mod;
root_r = pitch_r - 1.25 * mod;
base_r = pitch_r * cos(pressure_angle);

function involute(r, t) = [r * (cos(t) + t * PI / 180 * sin(t)), r * (sin(t) - t * PI / 180 * cos(t))];
function rotated(p, a) = [p[0] * cos(a) - p[1] * sin(a), p[0] * sin(a) + p[1] * cos(a)];

// Half a tooth flank from the base circle to the tip, mirrored to make one tooth.
max_t = sqrt(pow(outer_r / base_r, 2) - 1) * 180 / PI;
flank = [for (i = [0:5]) involute(base_r, max_t * i / 5)];
half_angle = 90 / teeth + (tan(pressure_angle) - pressure_angle * PI / 180) * 180 / PI;

module tooth() {
    polygon(concat(
        [[0, 0]],
        [for (p = flank) rotated(p, -half_angle)],
        [for (i = [5:-1:0]) let(p = flank[i]) rotated([p[0], -p[1]], half_angle)]
    ));
}

difference() {
    union() {
        linear_extrude(thickness) {
            circle(r = max(root_r, base_r), $fn = teeth * 4);
            for (i = [0:teeth - 1]) rotate(i * 360 / teeth) tooth();
        }
        if (hub) cylinder(d = bore_d * 2.5, h = thickness * 1.75, $fn = 32);
    }
    translate([0, 0, -1]) cylinder(d = bore_d, h = thickness * 3, $fn = 24);
}
